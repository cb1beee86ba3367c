//! The built page loads from the simulator and renders its shell.
use e2e::{Browser, Sim};

#[tokio::test]
async fn the_page_shell_renders() -> e2e::Result {
    let sim = Sim::start(&["--keys", "60"])?;
    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    let brand = b.wait_text(".brand-name", "SAP key jobs", 20).await?;
    assert_eq!(brand, "SAP key jobs");
    assert_eq!(
        b.client.title().await?,
        "SAP key jobs · CipherTrust Manager"
    );
    b.screenshot("shell").await?;
    b.close().await
}
