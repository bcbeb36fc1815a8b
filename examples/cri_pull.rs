//! `cri_pull SOCKET IMAGE TIMEOUT_S`: one CRI PullImage (the path kubelet
//! uses) after removing the image, printing the seconds it took, or
//! `timeout` / `error`. Used by scripts/bench-heal.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (socket, image) = (std::path::Path::new(&a[1]), &a[2]);
    let limit = std::time::Duration::from_secs(a[3].parse().unwrap_or(150));
    let _ = ctrwiz::cri::remove_image(socket, image, std::time::Duration::from_secs(10));
    let t = std::time::Instant::now();
    match ctrwiz::cri::pull_image(socket, image, limit) {
        Ok(_) => println!("{:.2}", t.elapsed().as_secs_f64()),
        Err(e) if t.elapsed() >= limit => println!("timeout>{}s {e}", limit.as_secs()), // i18n: bench output
        Err(e) => println!("error {e}"), // i18n: bench output
    }
}
