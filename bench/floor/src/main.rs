//! The smallest useful Yew app: one counter. `cargo xtask bench` builds it with the page's release
//! profile and compares the page's cold-load bytes with this floor.
use yew::prelude::*;

#[function_component(Counter)]
fn counter() -> Html {
    let count = use_state(|| 0u32);
    let onclick = {
        let count = count.clone();
        Callback::from(move |_| count.set(*count + 1))
    };
    html! {
        <main>
            <p id="count">{ *count }</p>
            <button type="button" id="increment" {onclick}>{ "+1" }</button>
        </main>
    }
}

fn main() {
    yew::Renderer::<Counter>::new().render();
}
