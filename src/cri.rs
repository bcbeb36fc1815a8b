//! A minimal gRPC client for containerd's socket: unary calls to the CRI
//! `runtime.v1` image service — the path kubelet and crictl use (crictl is
//! not packaged in Debian 12) — and to containerd's own version service,
//! which names the daemon that really runs. Only the few messages ctrwiz
//! needs are encoded, by hand: an `ImageSpec` is one string field.

use bytes::Bytes;
use std::path::Path;
use std::time::Duration;

const PULL: &str = "/runtime.v1.ImageService/PullImage";
const REMOVE: &str = "/runtime.v1.ImageService/RemoveImage";
/// `containerd.services.version.v1.Version/Version(Empty) -> VersionResponse
/// { string version = 1; string revision = 2; }` (api/services/version/v1,
/// the same in 1.6 and 2.x; it needs no namespace).
const VERSION: &str = "/containerd.services.version.v1.Version/Version";

/// The version string the daemon on `socket` reports (`v1.7.24`, `1.6.20~ds1`).
pub fn server_version(socket: &Path, timeout: Duration) -> Result<String, String> {
    let reply = unary(socket, VERSION, &[], timeout)?;
    first_string_field(&reply).ok_or_else(|| crate::t!("verify.cri.no_version").to_string())
}

/// Pulls `image` through CRI; returns the image ref containerd reports.
pub fn pull_image(socket: &Path, image: &str, timeout: Duration) -> Result<String, String> {
    let reply = unary(socket, PULL, &image_spec_request(image), timeout)?;
    Ok(first_string_field(&reply).unwrap_or_default())
}

/// Removes `image` through CRI (so that a later pull has to fetch it).
pub fn remove_image(socket: &Path, image: &str, timeout: Duration) -> Result<(), String> {
    unary(socket, REMOVE, &image_spec_request(image), timeout).map(|_| ())
}

/// `{ image: ImageSpec { image: <image> } }` — field 1 of both
/// PullImageRequest and RemoveImageRequest.
fn image_spec_request(image: &str) -> Vec<u8> {
    let spec = length_delimited(1, image.as_bytes());
    length_delimited(1, &spec)
}

fn length_delimited(field: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 6);
    varint(u64::from(field << 3 | 2), &mut out);
    varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(b: &[u8], i: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*i)?;
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Field 1 as a string (PullImageResponse.image_ref).
fn first_string_field(b: &[u8]) -> Option<String> {
    let mut i = 0;
    while i < b.len() {
        let key = read_varint(b, &mut i)?;
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                read_varint(b, &mut i)?;
            }
            2 => {
                let len = read_varint(b, &mut i)? as usize;
                let bytes = b.get(i..i + len)?;
                i += len;
                if field == 1 {
                    return String::from_utf8(bytes.to_vec()).ok();
                }
            }
            _ => return None,
        }
    }
    None
}

fn unary(
    socket: &Path,
    method: &str,
    message: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        match tokio::time::timeout(timeout, call(socket, method, message)).await {
            Ok(r) => r,
            Err(_) => {
                let (socket, seconds) = (socket.display(), timeout.as_secs());
                let e = crate::t!("verify.cri.no_answer", socket = socket, seconds = seconds);
                Err(e)
            }
        }
    })
}

async fn call(socket: &Path, method: &str, message: &[u8]) -> Result<Vec<u8>, String> {
    let stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| format!("{}: {e}", socket.display()))?;
    let (client, connection) = h2::client::handshake(stream)
        .await
        .map_err(|e| crate::t!("verify.cri.handshake", error = e))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut client = client.ready().await.map_err(|e| e.to_string())?;
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("http://localhost{method}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .map_err(|e| e.to_string())?;
    let (response, mut body) = client
        .send_request(request, false)
        .map_err(|e| e.to_string())?;
    // gRPC framing: no compression, 4-byte big-endian length.
    let mut framed = Vec::with_capacity(message.len() + 5);
    framed.push(0);
    framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
    framed.extend_from_slice(message);
    body.send_data(Bytes::from(framed), true)
        .map_err(|e| e.to_string())?;

    let response = response.await.map_err(|e| e.to_string())?;
    let (parts, mut recv) = response.into_parts();
    // A trailers-only response carries the status in its headers.
    grpc_status(&parts.headers)?;
    let mut data = Vec::new();
    while let Some(chunk) = recv.data().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        let _ = recv.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    if let Some(trailers) = recv.trailers().await.map_err(|e| e.to_string())? {
        grpc_status(&trailers)?;
    }
    Ok(data.get(5..).unwrap_or_default().to_vec())
}

fn grpc_status(headers: &http::HeaderMap) -> Result<(), String> {
    match headers.get("grpc-status").and_then(|v| v.to_str().ok()) {
        None | Some("0") => Ok(()),
        Some(code) => {
            let msg = headers
                .get("grpc-message")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let message = percent_decode(msg);
            let e = crate::t!("verify.cri.error", code = code, message = message);
            Err(e)
        }
    }
}

/// grpc-message is percent-encoded.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_encode_and_decode() {
        let req = image_spec_request("docker.io/library/busybox:latest");
        assert_eq!(req[0], 0x0a);
        assert_eq!(req[2], 0x0a);
        assert_eq!(&req[4..], b"docker.io/library/busybox:latest");
        let reply = length_delimited(1, b"sha256:abc");
        assert_eq!(first_string_field(&reply).as_deref(), Some("sha256:abc"));
        assert_eq!(percent_decode("a%20b%3A"), "a b:");
    }

    #[test]
    fn a_missing_socket_is_an_error_not_a_hang() {
        let e = pull_image(
            Path::new("/nonexistent/cri.sock"),
            "busybox",
            Duration::from_secs(2),
        )
        .unwrap_err();
        assert!(e.contains("/nonexistent/cri.sock"), "{e}");
    }
}
