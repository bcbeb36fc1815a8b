#[test]
fn an_owned_node_restarts_its_owner_and_restart_cmd_still_wins() {
    let restart = |service: Option<&str>| crate::plan::Restart {
        reasons: vec![],
        daemon_reload: true,
        service: service.map(crate::owner::service),
    };
    let k3s = restart(Some("k3s-agent"));
    assert_eq!(
        RestartPolicy::Systemd.command_for(&k3s).unwrap(),
        "systemctl restart k3s-agent"
    );
    assert_eq!(
        RestartPolicy::Openrc.command_for(&k3s).unwrap(),
        "rc-service k3s-agent restart"
    );
    assert_eq!(
        RestartPolicy::Command("mine".into())
            .command_for(&k3s)
            .unwrap(),
        "mine"
    );
    assert_eq!(
        RestartPolicy::Systemd.command_for(&restart(None)).unwrap(),
        "systemctl daemon-reload && systemctl restart containerd"
    );
}

use super::*;
use crate::plan::FileChange;

fn options(root: &Root, state: &std::path::Path) -> ApplyOptions {
    ApplyOptions {
        root: root.clone(),
        state_dir: state.to_path_buf(),
        restart: RestartPolicy::Skip("test".into()),
        address: PathBuf::from("/run/containerd/containerd.sock"),
        ctr: None,
        health_timeout: Duration::from_secs(1),
        health: health::Level::Cri,
        docker_restart: None,
    }
}

#[test]
fn a_target_that_changed_since_the_plan_is_never_overwritten() {
    let d = tempfile::tempdir().unwrap();
    let root = Root::new(d.path().join("node"));
    std::fs::create_dir_all(root.dir()).unwrap();
    let root = Root::new(root.dir());
    let file = "/etc/containerd/certs.d/docker.io/hosts.toml";
    let plan = Plan {
        changes: vec![FileChange {
            path: file.into(),
            purpose: Purpose::Hosts {
                registry: "docker.io".into(),
            },
            before: None,
            after: Some(b"mine\n".to_vec()),
            note: None,
            mode: None,
        }],
        restart: None,
        notes: vec![],
        hosts_dir: "/etc/containerd/certs.d".into(),
        config: "/etc/containerd/config.toml".into(),
    };
    // Another apply wrote the file while this one waited at its prompt.
    let real = root.join(file);
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, "theirs\n").unwrap();
    let err = run(&plan, &options(&root, &d.path().join("state")), &mut |_| {}).unwrap_err();
    assert!(matches!(&err, Error::NodeChanged { paths } if paths == &[PathBuf::from(file)]));
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "theirs\n");
    assert!(
        backup::list(&d.path().join("state")).is_empty(),
        "no backup set"
    );
}

#[test]
fn the_restart_policy_is_chosen_from_the_facts() {
    use crate::node::{ServiceManager as M, ServiceState};
    let _lang = crate::i18n::scoped(crate::i18n::Lang::En);
    let svc = |manager, running| ServiceState {
        manager,
        running,
        has_systemd_units: false,
        address: PathBuf::from("/run/containerd/containerd.sock"),
    };
    let skip = |key: &str| RestartPolicy::Skip(crate::i18n::tr(key).into());
    let user = RestartPolicy::Command("systemctl --user restart containerd".into());
    let own = RestartPolicy::Command("my-restart".into());
    #[rustfmt::skip]
        let table = [
            // (manager, running, is_host, rootless, --restart-cmd) -> policy
            (M::Systemd, true, true, false, None, RestartPolicy::Systemd),
            (M::Openrc, true, true, false, None, RestartPolicy::Openrc),
            (M::None, true, true, false, None, skip("cli.restart.skip_no_manager")),
            (M::Systemd, false, true, false, None, skip("cli.restart.skip_not_running")),
            (M::Systemd, true, false, false, None, skip("cli.restart.skip_root")),
            (M::Systemd, false, false, false, None, skip("cli.restart.skip_root")),
            (M::Systemd, true, true, true, None, user.clone()),
            (M::None, true, true, true, None, user),
            (M::Systemd, true, true, true, Some("my-restart"), own.clone()),
            (M::None, false, false, false, Some("my-restart"), own),
        ];
    for (manager, running, is_host, rootless, cmd, want) in table {
        assert_eq!(
            RestartPolicy::choose(&svc(manager, running), is_host, rootless, cmd),
            want,
            "{manager:?} running={running} host={is_host} rootless={rootless} cmd={cmd:?}"
        );
    }
}

#[test]
fn restart_commands_say_why_there_is_none() {
    assert_eq!(
        RestartPolicy::Skip("no manager".into()).command(false),
        Err("no manager")
    );
    assert_eq!(
        RestartPolicy::Systemd.command(true).unwrap(),
        "systemctl daemon-reload && systemctl restart containerd"
    );
}
