// Talc instead of the default dlmalloc: smaller in the wasm and faster (its WebAssembly
// benchmarks: https://github.com/SFBdragon/talc/blob/master/BENCHMARKS_WASM.md).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    cckm_sap_admin::start();
}
