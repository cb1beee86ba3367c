fn main() {
    cckm_sap_admin::start();
}
