//! A minimal gRPC client for containerd's socket: unary calls to the CRI
//! `runtime.v1` image service — the path kubelet and crictl use (crictl is
//! not packaged in Debian 12) — and to containerd's own version service,
//! which names the daemon that really runs. Only the few messages ctrwiz
//! needs are encoded, by hand: an `ImageSpec` is one string field; the
//! pod-sandbox messages of the health check are a few nested ones.
//!
//! Field numbers are those of `pkg/apis/runtime/v1/api.proto` in
//! k8s.io/cri-api (package `runtime.v1`, the same numbers since v0.25):
//! `RunPodSandboxRequest { PodSandboxConfig config = 1; }`,
//! `PodSandboxConfig { PodSandboxMetadata metadata = 1; map labels = 6;
//! LinuxPodSandboxConfig linux = 8; }`, `PodSandboxMetadata { name = 1;
//! uid = 2; namespace = 3; }`, `LinuxPodSandboxConfig { security_context
//! = 2; }`, `LinuxSandboxSecurityContext { namespace_options = 1; }`,
//! `NamespaceOption { NamespaceMode network = 1; }` with `NODE = 2`,
//! `PodSandboxStatusResponse { PodSandboxStatus status = 1; }`,
//! `PodSandboxStatus { PodSandboxState state = 3; }` with `SANDBOX_READY =
//! 0`, `ListPodSandboxRequest { PodSandboxFilter filter = 1; }`,
//! `PodSandboxFilter { map label_selector = 3; }`, `ListPodSandboxResponse
//! { repeated PodSandbox items = 1; }`, `PodSandbox { id = 1; metadata = 2;
//! state = 3; }`, `{Stop,Remove,}PodSandbox{Status,}Request {
//! pod_sandbox_id = 1; }`, `VersionResponse { version = 1; runtime_name =
//! 2; runtime_version = 3; runtime_api_version = 4; }`,
//! `ImageStatusRequest { ImageSpec image = 1; }` and `ImageStatusResponse
//! { Image image = 1; }` with `Image { id = 1; }`.

use bytes::Bytes;
use std::path::Path;
use std::time::Duration;

const PULL: &str = "/runtime.v1.ImageService/PullImage";
const REMOVE: &str = "/runtime.v1.ImageService/RemoveImage";
const RUN_SANDBOX: &str = "/runtime.v1.RuntimeService/RunPodSandbox";
const SANDBOX_STATUS: &str = "/runtime.v1.RuntimeService/PodSandboxStatus";
const STOP_SANDBOX: &str = "/runtime.v1.RuntimeService/StopPodSandbox";
const REMOVE_SANDBOX: &str = "/runtime.v1.RuntimeService/RemovePodSandbox";
const LIST_SANDBOXES: &str = "/runtime.v1.RuntimeService/ListPodSandbox";
const RUNTIME_VERSION: &str = "/runtime.v1.RuntimeService/Version";
const IMAGE_STATUS: &str = "/runtime.v1.ImageService/ImageStatus";
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

/// The CRI runtime service's `Version` (what `crictl version` prints):
/// `(runtime_name, runtime_version)`, e.g. `("containerd", "v2.1.9")`.
pub fn runtime_version(socket: &Path, timeout: Duration) -> Result<(String, String), String> {
    let reply = unary(socket, RUNTIME_VERSION, &[], timeout)?;
    let f = fields(&reply).ok_or_else(|| crate::t!("pods.cri.bad_reply").to_string())?;
    let string = |want: u32| {
        f.iter()
            .find_map(|(n, v)| (*n == want).then(|| v.bytes()).flatten())
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    Ok((string(2), string(3)))
}

/// The CRI image service's `ImageStatus` (what `crictl inspecti` asks):
/// the image's id when the CRI store has `image`, `None` when it has not.
pub fn image_id(socket: &Path, image: &str, timeout: Duration) -> Result<Option<String>, String> {
    let reply = unary(socket, IMAGE_STATUS, &image_spec_request(image), timeout)?;
    let f = fields(&reply).ok_or_else(|| crate::t!("pods.cri.bad_reply").to_string())?;
    Ok(f.iter()
        .find_map(|(n, v)| (*n == 1).then(|| v.bytes()).flatten())
        .and_then(first_string_field))
}

/// Removes `image` through CRI (so that a later pull has to fetch it).
pub fn remove_image(socket: &Path, image: &str, timeout: Duration) -> Result<(), String> {
    unary(socket, REMOVE, &image_spec_request(image), timeout).map(|_| ())
}

/// What ctrwiz asks of a sandbox: a name, a uid, a namespace and labels;
/// its network is always the host's (no CNI needed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxSpec {
    pub name: String,
    pub uid: String,
    pub namespace: String,
    pub labels: Vec<(String, String)>,
}

/// One row of `ListPodSandbox`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sandbox {
    pub id: String,
    pub name: String,
    pub ready: bool,
}

/// Runs a pod sandbox with host networking; returns its id. containerd
/// pulls the sandbox image itself (through its registry config) first.
pub fn run_sandbox(socket: &Path, spec: &SandboxSpec, timeout: Duration) -> Result<String, String> {
    let reply = unary(socket, RUN_SANDBOX, &run_sandbox_request(spec), timeout)?;
    first_string_field(&reply).ok_or_else(|| crate::t!("pods.cri.no_sandbox_id").to_string())
}

/// Whether the sandbox `id` is `SANDBOX_READY`.
pub fn sandbox_ready(socket: &Path, id: &str, timeout: Duration) -> Result<bool, String> {
    let reply = unary(
        socket,
        SANDBOX_STATUS,
        &length_delimited(1, id.as_bytes()),
        timeout,
    )?;
    let status = fields(&reply)
        .and_then(|f| f.into_iter().find_map(|(n, v)| (n == 1).then_some(v)))
        .and_then(|v| v.bytes().map(<[u8]>::to_vec))
        .ok_or_else(|| crate::t!("pods.cri.no_status").to_string())?;
    Ok(state_is_ready(&status))
}

pub fn stop_sandbox(socket: &Path, id: &str, timeout: Duration) -> Result<(), String> {
    unary(
        socket,
        STOP_SANDBOX,
        &length_delimited(1, id.as_bytes()),
        timeout,
    )
    .map(|_| ())
}

pub fn remove_sandbox(socket: &Path, id: &str, timeout: Duration) -> Result<(), String> {
    unary(
        socket,
        REMOVE_SANDBOX,
        &length_delimited(1, id.as_bytes()),
        timeout,
    )
    .map(|_| ())
}

/// The sandboxes carrying the label `key=value`, ready or not.
pub fn list_sandboxes(
    socket: &Path,
    label: (&str, &str),
    timeout: Duration,
) -> Result<Vec<Sandbox>, String> {
    let filter = length_delimited(3, &map_entry(label.0, label.1));
    let reply = unary(
        socket,
        LIST_SANDBOXES,
        &length_delimited(1, &filter),
        timeout,
    )?;
    let items = fields(&reply).ok_or_else(|| crate::t!("pods.cri.bad_reply").to_string())?;
    let mut out = Vec::new();
    for (n, item) in items {
        let Some(bytes) = item.bytes().filter(|_| n == 1) else {
            continue;
        };
        let f = fields(bytes).ok_or_else(|| crate::t!("pods.cri.bad_reply").to_string())?;
        let string = |want: u32, f: &[(u32, Value<'_>)]| {
            f.iter()
                .find_map(|(n, v)| (*n == want).then(|| v.bytes()).flatten())
                .map(|b| String::from_utf8_lossy(b).into_owned())
        };
        let name = f
            .iter()
            .find_map(|(n, v)| (*n == 2).then(|| v.bytes()).flatten())
            .and_then(fields)
            .and_then(|m| string(1, &m))
            .unwrap_or_default();
        out.push(Sandbox {
            id: string(1, &f).unwrap_or_default(),
            name,
            ready: state_is_ready(bytes),
        });
    }
    Ok(out)
}

/// Field 3 (`state`) of a PodSandboxStatus or PodSandbox: absent means 0,
/// `SANDBOX_READY` (proto3 leaves out default values).
fn state_is_ready(message: &[u8]) -> bool {
    fields(message).is_some_and(|f| {
        f.iter()
            .filter(|(n, _)| *n == 3)
            .all(|(_, v)| matches!(v, Value::Varint(0)))
    })
}

fn run_sandbox_request(spec: &SandboxSpec) -> Vec<u8> {
    let mut metadata = length_delimited(1, spec.name.as_bytes());
    metadata.extend(length_delimited(2, spec.uid.as_bytes()));
    metadata.extend(length_delimited(3, spec.namespace.as_bytes()));
    let mut config = length_delimited(1, &metadata);
    for (k, v) in &spec.labels {
        config.extend(length_delimited(6, &map_entry(k, v)));
    }
    // NamespaceOption.network = NODE (2): host networking.
    let mut namespaces = Vec::new();
    varint(1 << 3, &mut namespaces);
    varint(2, &mut namespaces);
    let security = length_delimited(1, &namespaces);
    let linux = length_delimited(2, &security);
    config.extend(length_delimited(8, &linux));
    length_delimited(1, &config)
}

/// A protobuf map entry: `{ key = 1; value = 2; }`.
fn map_entry(key: &str, value: &str) -> Vec<u8> {
    let mut e = length_delimited(1, key.as_bytes());
    e.extend(length_delimited(2, value.as_bytes()));
    e
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

impl<'a> Value<'a> {
    fn bytes(self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// The top-level fields of a message, in order; `None` when malformed.
fn fields(b: &[u8]) -> Option<Vec<(u32, Value<'_>)>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let key = read_varint(b, &mut i)?;
        let field = u32::try_from(key >> 3).ok()?;
        let value = match key & 7 {
            0 => Value::Varint(read_varint(b, &mut i)?),
            1 => {
                i = i.checked_add(8).filter(|&e| e <= b.len())?;
                Value::Fixed
            }
            2 => {
                let len = usize::try_from(read_varint(b, &mut i)?).ok()?;
                let end = i.checked_add(len).filter(|&e| e <= b.len())?;
                let v = Value::Bytes(&b[i..end]);
                i = end;
                v
            }
            5 => {
                i = i.checked_add(4).filter(|&e| e <= b.len())?;
                Value::Fixed
            }
            _ => return None,
        };
        out.push((field, value));
    }
    Some(out)
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
    fn sandbox_messages_use_the_cri_field_numbers() {
        let spec = SandboxSpec {
            name: "ctrwiz-health-1".into(),
            uid: "1".into(),
            namespace: "ctrwiz".into(),
            labels: vec![("io.ctrwiz.health".into(), "1".into())],
        };
        let req = run_sandbox_request(&spec);
        let top = fields(&req).unwrap();
        assert_eq!(top.len(), 1);
        let config = fields(top[0].1.bytes().unwrap()).unwrap();
        let numbers: Vec<u32> = config.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [1, 6, 8], "metadata, labels, linux");
        let metadata = fields(config[0].1.bytes().unwrap()).unwrap();
        assert_eq!(metadata[0], (1, Value::Bytes(b"ctrwiz-health-1")));
        assert_eq!(metadata[2], (3, Value::Bytes(b"ctrwiz")));
        let label = fields(config[1].1.bytes().unwrap()).unwrap();
        assert_eq!(
            label,
            [
                (1, Value::Bytes(b"io.ctrwiz.health")),
                (2, Value::Bytes(b"1"))
            ]
        );
        // linux(8).security_context(2).namespace_options(1).network(1) = NODE(2)
        let linux = fields(config[2].1.bytes().unwrap()).unwrap();
        let security = fields(linux[0].1.bytes().unwrap()).unwrap();
        let ns = fields(security[0].1.bytes().unwrap()).unwrap();
        assert_eq!(
            (linux[0].0, security[0].0, ns.as_slice()),
            (2, 1, &[(1, Value::Varint(2))][..])
        );

        // PodSandboxStatus: state 3 absent = READY, 1 = NOTREADY.
        let mut not_ready = length_delimited(1, b"abc");
        varint(3 << 3, &mut not_ready);
        varint(1, &mut not_ready);
        assert!(!state_is_ready(&not_ready));
        assert!(state_is_ready(&length_delimited(1, b"abc")));
        assert_eq!(fields(&[0x0a, 0x05, 0x61]), None, "a length past the end");
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
