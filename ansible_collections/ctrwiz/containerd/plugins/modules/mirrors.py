#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctrwiz contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: mirrors
short_description: Configure containerd registry mirrors with ctrwiz
version_added: "0.1.0"
description:
  - A thin wrapper over the C(ctrwiz) binary installed on the node.
  - It writes the selection to a temporary profile (mode 0600, so passwords
    never appear in the process list) and runs C(ctrwiz plan --json) in check
    mode, or C(ctrwiz plan --json) then C(ctrwiz apply --json --yes).
  - Every guarantee of ctrwiz holds on each node. Files are backed up first
    and written atomically. containerd restarts only when config.toml (or
    the proxy drop-in) changed. Its health is checked after the restart,
    and the files are rolled back when it does not come back.
  - The module reads ctrwiz's JSON by its stable codes and fields, never
    by its sentences, so O(lang) changes only the messages.
author:
  - ctrwiz contributors (@ctrwiz)
options:
  binary:
    description: Path of the ctrwiz binary on the node.
    type: path
    default: /usr/local/bin/ctrwiz
  profile:
    description:
      - A ctrwiz profile already on the node (what C(ctrwiz)'s wizard saves).
      - Mutually exclusive with the selection options below.
    type: path
  preset:
    description: One mirror preset for every registry it covers (C(ctrwiz presets) lists them).
    type: str
  mirrors:
    description:
      - Per-registry choices, by registry (C(host[:port]) or C(_default)).
      - A value is a preset name, C(upstream), C(none) (remove that
        registry's hosts.toml), or a list of mirror URLs tried in order.
    type: dict
  registries:
    description: Private registries, each written as its own hosts.toml.
    type: list
    elements: dict
    suboptions:
      host:
        description: The registry, C(host[:port]).
        type: str
        required: true
      ca:
        description: A PEM CA file on the node, copied next to the hosts.toml.
        type: path
      client_cert:
        description: A client certificate file on the node.
        type: path
      client_key:
        description: The client key file on the node (written 0600).
        type: path
      skip_verify:
        description: Skip TLS verification.
        type: bool
        default: false
      plain_http:
        description: Plain http (never combined with TLS options).
        type: bool
        default: false
      username:
        description: User for basic auth.
        type: str
      password:
        description: Password for basic auth (the hosts.toml becomes 0600).
        type: str
  sandbox_image:
    description: The pause image (C(sandbox_image) or C(pinned_images.sandbox)).
    type: str
  systemd_cgroup:
    description: runc's SystemdCgroup (match the kubelet's cgroup driver).
    type: bool
  proxy:
    description: A proxy for containerd only (a systemd drop-in), or C(none) to remove it.
    type: str
  no_proxy:
    description:
      - NO_PROXY entries for that proxy, exactly.
      - The default is made on each node - the usual list, the node's addresses and the cluster ranges its kubeadm or kubelet config shows.
    type: list
    elements: str
  cluster_cidrs:
    description: Service and pod ranges added to the default NO_PROXY, for a cluster the node does not show yet (before C(kubeadm init)).
    type: list
    elements: str
  crictl:
    description: Point C(/etc/crictl.yaml) at containerd's socket (its other keys kept).
    type: bool
  nerdctl:
    description: Put the hosts directory first in nerdctl's own C(hosts_dir) (nerdctl ignores containerd's C(config_path)).
    type: bool
  cni_bin_dir:
    description: Where the CRI plugin looks for CNI plugins, a directory or C(auto) (the directory they were found in).
    type: str
  enable_cri:
    description: Take the CRI plugin out of C(disabled_plugins) (Docker's containerd.io ships it disabled).
    type: bool
  dial_timeout:
    description: C(dial_timeout) on mirrors where containerd reads it (2.0.7 and newer), a Go duration or C(none).
    type: str
  heal_every:
    description: Run C(ctrwiz heal) on a timer this often (C(15m), C(1h) ...), or C(none) to remove the timer.
    type: str
  root:
    description: Read and write every node path under this directory (image preparation, tests).
    type: path
  config:
    description: containerd's config file.
    type: path
  hosts_dir:
    description: The hosts directory (default config.toml's C(config_path), else /etc/containerd/certs.d).
    type: path
  address:
    description: containerd's socket.
    type: path
  restart_cmd:
    description: How to restart containerd (run with C(sh -c)); default systemctl or rc-service.
    type: str
  state_dir:
    description: Where ctrwiz keeps backups, its lock and apply logs.
    type: path
  health_timeout:
    description: Seconds to wait for containerd to answer after a restart.
    type: int
  health:
    description:
      - What the health check after a restart must see. C(pod) (ctrwiz's default) starts a short-lived
        host-network pod sandbox with the configured pause image, pulled through the mirrors; C(cri) only
        checks that the CRI plugin loaded, for nodes where a sandbox must not run.
    type: str
    choices: [pod, cri]
  lang:
    description: Language of the messages (the codes are the same in both).
    type: str
    choices: [en, zh]
    default: en
  doctor:
    description: Run C(ctrwiz doctor --json --no-probe) after the change and return its failures.
    type: bool
    default: true
  fail_on_doctor:
    description: Fail the task when the doctor reports a failure.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Runs C(ctrwiz plan); nothing is written.
  diff_mode:
    support: full
    description: Each changed file's unified diff, as ctrwiz shows it (secrets redacted).
notes:
  - Run with C(serial) and C(max_fail_percentage) so that a bad selection
    stops after the first batch (see the role C(ctrwiz.containerd.node)).
  - Requires the ctrwiz binary on the node; the role C(ctrwiz.containerd.node) installs it.
"""

EXAMPLES = r"""
- name: DaoCloud for every registry it covers, and a corporate mirror first for docker.io
  ctrwiz.containerd.mirrors:
    preset: daocloud
    mirrors:
      docker.io:
        - https://mirror.corp.example
        - https://docker.m.daocloud.io
      quay.io: none
    sandbox_image: k8s.m.daocloud.io/pause:3.10
    systemd_cgroup: true

- name: A private registry with its CA and a robot account
  ctrwiz.containerd.mirrors:
    registries:
      - host: harbor.corp:8443
        ca: /etc/pki/harbor-ca.pem
        username: robot
        password: "{{ vault_harbor_password }}"

- name: Prepare an image tree (no restart)
  ctrwiz.containerd.mirrors:
    root: /mnt/image
    preset: daocloud
"""

RETURN = r"""
files:
  description: Every file of the plan with what happened to it.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The node path.
      type: str
    kind:
      description: C(create), C(modify), C(delete) or C(unchanged).
      type: str
    status:
      description:
        - C(unchanged), C(written), C(not_written), C(restored), C(not_restored);
          in check mode C(unchanged) or C(would_change).
      type: str
restarted:
  description: Whether containerd was restarted (and came back healthy).
  returned: always
  type: bool
restart:
  description: Why containerd restarts, as C(reasons) with stable codes; null when it does not.
  returned: always
  type: dict
backup_id:
  description: The ctrwiz backup set of this apply (C(ctrwiz rollback ID) restores it).
  returned: always
  type: str
backup_dir:
  description: Where that backup set is.
  returned: always
  type: str
health:
  description: The health check after the restart (C(ok), C(message)).
  returned: always
  type: dict
rollback:
  description: Set when ctrwiz rolled the files back (C(done), C(complete), C(not_restored), C(healthy_after)).
  returned: always
  type: dict
notes:
  description: What ctrwiz wants read before applying, each with a stable C(code).
  returned: always
  type: list
  elements: dict
doctor_failures:
  description: The doctor checks that failed after the change, by C(id).
  returned: when doctor is true
  type: list
  elements: dict
error_code:
  description: ctrwiz's stable code of the error (C(toml), C(rolled_back), C(usage) ...).
  returned: failure
  type: str
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

SELECTION = (
    "preset",
    "mirrors",
    "registries",
    "sandbox_image",
    "systemd_cgroup",
    "proxy",
    "no_proxy",
    "cluster_cidrs",
    "crictl",
    "nerdctl",
    "cni_bin_dir",
    "enable_cri",
    "dial_timeout",
    "heal_every",
)


def toml_string(value):
    """A TOML basic string: JSON's escapes are TOML's, once DEL is escaped."""
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return toml_string(value)


def profile_text(params):
    """The selection as a ctrwiz profile (the format `--profile` reads)."""
    lines = []
    for key in SELECTION:
        if key in ("mirrors", "registries"):
            continue
        if params.get(key) is not None:
            lines.append("%s = %s" % (key, toml_value(params[key])))
    mirrors = params.get("mirrors") or {}
    if mirrors:
        lines.append("")
        lines.append("[mirrors]")
        for registry in sorted(mirrors):
            lines.append("%s = %s" % (toml_string(registry), toml_value(mirrors[registry])))
    for reg in params.get("registries") or []:
        lines.append("")
        lines.append("[[registries]]")
        for key in ("host", "ca", "client_cert", "client_key", "username", "password"):
            if reg.get(key) is not None:
                lines.append("%s = %s" % (key, toml_string(reg[key])))
        for key in ("skip_verify", "plain_http"):
            if reg.get(key):
                lines.append("%s = true" % key)
    return "\n".join(lines) + "\n"


def global_args(params):
    args = [params["binary"], "--lang", params["lang"]]
    for key in ("root", "config", "hosts_dir", "address", "restart_cmd", "state_dir"):
        if params.get(key) is not None:
            args += ["--" + key.replace("_", "-"), str(params[key])]
    if params.get("health_timeout") is not None:
        args += ["--health-timeout", str(params["health_timeout"])]
    if params.get("health") is not None:
        args += ["--health", params["health"]]
    return args


def ctrwiz_message(stderr):
    lines = [ln[len("ctrwiz: "):] if ln.startswith("ctrwiz: ") else ln for ln in stderr.strip().splitlines()]
    return "\n".join(ln for ln in lines if ln)


def parse(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def file_rows(changes):
    return [
        {
            "path": c["path"],
            "kind": c["kind"],
            "status": "unchanged" if c["kind"] == "unchanged" else "would_change",
        }
        for c in changes
    ]


def main():
    registry_spec = dict(
        host=dict(type="str", required=True),
        ca=dict(type="path"),
        client_cert=dict(type="path"),
        client_key=dict(type="path"),
        skip_verify=dict(type="bool", default=False),
        plain_http=dict(type="bool", default=False),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
    )
    module = AnsibleModule(
        argument_spec=dict(
            binary=dict(type="path", default="/usr/local/bin/ctrwiz"),
            profile=dict(type="path"),
            preset=dict(type="str"),
            mirrors=dict(type="dict"),
            registries=dict(type="list", elements="dict", options=registry_spec),
            sandbox_image=dict(type="str"),
            systemd_cgroup=dict(type="bool"),
            proxy=dict(type="str"),
            no_proxy=dict(type="list", elements="str"),
            cluster_cidrs=dict(type="list", elements="str"),
            crictl=dict(type="bool"),
            nerdctl=dict(type="bool"),
            cni_bin_dir=dict(type="str"),
            enable_cri=dict(type="bool"),
            dial_timeout=dict(type="str"),
            heal_every=dict(type="str"),
            root=dict(type="path"),
            config=dict(type="path"),
            hosts_dir=dict(type="path"),
            address=dict(type="path"),
            restart_cmd=dict(type="str"),
            state_dir=dict(type="path"),
            health_timeout=dict(type="int"),
            health=dict(type="str", choices=["pod", "cri"]),
            lang=dict(type="str", default="en", choices=["en", "zh"]),
            doctor=dict(type="bool", default=True),
            fail_on_doctor=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("profile", key) for key in SELECTION],
        supports_check_mode=True,
    )
    p = module.params
    if not os.path.exists(p["binary"]):
        module.fail_json(msg="ctrwiz is not installed at %s (the role ctrwiz.containerd.node installs it)" % p["binary"])

    tmp = None
    if p["profile"]:
        selection = ["--profile", p["profile"]]
    else:
        fd, tmp = tempfile.mkstemp(prefix="ctrwiz-profile-", suffix=".toml", dir=module.tmpdir)
        with os.fdopen(fd, "w") as f:
            f.write(profile_text(p))
        os.chmod(tmp, 0o600)
        selection = ["--profile", tmp]
    base = global_args(p)
    result = dict(changed=False, files=[], restarted=False, restart=None, backup_id=None,
                  backup_dir=None, health=None, rollback=None, notes=[])
    try:
        rc, out, err = module.run_command(base + ["plan", "--json"] + selection)
        plan = parse(out) if rc == 0 else None
        if plan is None:
            module.fail_json(msg=ctrwiz_message(err) or out, rc=rc, error_code="plan_failed", **result)
        result.update(notes=plan["notes"], restart=plan["restart"])
        diffs = [
            {"prepared": c["diff"]}
            for c in plan["changes"]
            if c["kind"] != "unchanged" and c["diff"]
        ]
        if module.check_mode:
            result.update(changed=bool(plan["changed"]), files=file_rows(plan["changes"]))
        else:
            rc, out, err = module.run_command(base + ["apply", "--json", "--yes"] + selection)
            applied = parse(out)
            if applied is None:
                module.fail_json(msg=ctrwiz_message(err) or out, rc=rc, error_code="no_result", **result)
            result.update(
                changed=bool(applied["changed"]),
                files=[dict(path=f["path"], kind=f["kind"], status=f["status"]) for f in applied["files"]],
                restarted=bool(applied["restarted"]),
                restart=applied["restart"],
                health=applied["health"],
                rollback=applied["rollback"],
                notes=applied["notes"],
            )
            if applied["backup"]:
                result.update(backup_id=applied["backup"]["id"], backup_dir=applied["backup"]["dir"])
            if not applied["ok"]:
                error = applied["error"] or {}
                module.fail_json(msg=error.get("message") or ctrwiz_message(err), rc=rc,
                                 error_code=error.get("code"), **result)
        if result["changed"] and module._diff:
            result["diff"] = diffs
        if p["doctor"]:
            rc, out, err = module.run_command(base + ["doctor", "--json", "--no-probe"])
            checks = parse(out) or []
            result["doctor_failures"] = [
                dict(id=c["id"], message=c["message"]) for c in checks if c.get("status") == "fail"
            ]
            if p["fail_on_doctor"] and result["doctor_failures"]:
                module.fail_json(msg="; ".join(c["message"] for c in result["doctor_failures"]),
                                 error_code="doctor", **result)
        module.exit_json(**result)
    finally:
        if tmp and os.path.exists(tmp):
            os.remove(tmp)


if __name__ == "__main__":
    main()
