//! The editors that open over a step: the mirror chooser, the input boxes
//! and the private-registry form. An editor takes a key and returns what
//! should happen (`EditorOutcome`); it never changes the wizard's state
//! itself. `App::apply_edit` is the one place a committed `Edit` lands,
//! so this module does not know `App`.

use super::input::Input;
use super::keys::{self, EditorAction, EditorKind};
use crate::catalog::Catalog;
use crate::endpoint::Endpoint;
use crate::extras::{NoProxy, PrivateRegistry, Proxy};
use crate::node::NodeState;
use crate::registry::RegistryName;
use crate::selection::{Choice, Selection};
use crossterm::event::KeyEvent;

/// A row of the registries table (or an extra) is being changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Editor {
    /// Choosing among presets, upstream, custom URLs, none.
    Chooser {
        registry: RegistryName,
        cursor: usize,
    },
    /// Typing mirror URLs (comma-separated), validated as typed.
    Custom {
        registry: RegistryName,
        input: Input,
        error: Option<String>,
    },
    /// Typing one's own accelerator ID for a preset whose URLs hold `<id>`.
    AccountId {
        registry: RegistryName,
        /// The preset's URLs, `<id>` still in them.
        template: Vec<String>,
        input: Input,
        error: Option<String>,
    },
    /// A private registry: host, CA file, auth, transport.
    Private(PrivateForm),
    /// Typing a pause image of one's own.
    PauseImage { input: Input, error: Option<String> },
    /// Typing containerd's proxy URL (empty: no proxy).
    Proxy { input: Input, error: Option<String> },
    /// The proxy's second question, asked when the node does not reveal
    /// its cluster's service and pod ranges: ranges for NO_PROXY.
    ClusterRanges {
        url: String,
        input: Input,
        error: Option<String>,
    },
    /// Typing a new registry name.
    AddRegistry { input: Input, error: Option<String> },
}

/// An option of the chooser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChooserOption {
    Preset(String),
    Custom,
    Remove,
}

/// What an editor may read while it handles a key.
pub struct EditorCtx<'a> {
    pub catalog: &'a Catalog,
    pub selection: &'a Selection,
    pub node: Option<&'a NodeState>,
}

/// What a key did to an editor.
#[derive(Debug, PartialEq)]
pub enum EditorOutcome {
    /// Still open (maybe another editor: the chooser opens the URL box).
    Stay(Editor),
    /// Closed, nothing changed.
    Close,
    /// Closed with a change for `App::apply_edit`.
    Commit(Edit),
}

/// A change an editor asks for.
#[derive(Debug, PartialEq)]
pub enum Edit {
    SetChoice(RegistryName, Choice),
    SetSandbox(String),
    SetProxy(Option<Proxy>),
    AddRegistry(RegistryName),
    /// Its CA/client files are read at the edge, then it is added; the
    /// form comes back if they cannot be read.
    AddPrivate(Box<PrivateRegistry>, Box<PrivateForm>),
}

/// The chooser's options for a registry: its presets, custom URLs, none.
pub fn chooser_options(catalog: &Catalog, r: &RegistryName) -> Vec<ChooserOption> {
    let mut v: Vec<ChooserOption> = catalog
        .presets_for(r)
        .map(|p| ChooserOption::Preset(p.id.clone()))
        .collect();
    v.push(ChooserOption::Custom);
    v.push(ChooserOption::Remove);
    v
}

impl Editor {
    /// Which key table applies.
    pub fn kind(&self) -> EditorKind {
        match self {
            Editor::Chooser { .. } => EditorKind::Chooser,
            Editor::Custom { .. } => EditorKind::Urls,
            Editor::AccountId { .. } => EditorKind::AccountId,
            Editor::Private(_) => EditorKind::Private,
            Editor::PauseImage { .. } => EditorKind::PauseImage,
            Editor::Proxy { .. } => EditorKind::Proxy,
            Editor::ClusterRanges { .. } => EditorKind::ClusterRanges,
            Editor::AddRegistry { .. } => EditorKind::AddRegistry,
        }
    }

    /// The facts the editor's key table asks.
    pub fn key_context(&self) -> keys::Context {
        keys::Context {
            on_transport: matches!(self, Editor::Private(f) if f.field == PrivateField::Transport),
            ..keys::Context::default()
        }
    }

    /// The action of `key` here (`None`: it edits the text).
    pub fn action(&self, key: &KeyEvent) -> Option<EditorAction> {
        keys::editor_action(self.kind(), key, &self.key_context())
    }

    pub fn key(self, key: KeyEvent, ctx: &EditorCtx) -> EditorOutcome {
        let action = self.action(&key);
        self.typed(action, Typing::Key(&key), ctx)
    }

    /// Pasted text (bracketed paste): inserted at the cursor of the box
    /// being typed in, then checked as typing would be.
    pub fn paste(self, text: &str, ctx: &EditorCtx) -> EditorOutcome {
        match self {
            // Nothing to type into: the chooser stays as it was.
            Editor::Chooser { .. } => EditorOutcome::Stay(self),
            e => e.typed(None, Typing::Paste(text), ctx),
        }
    }

    fn typed(self, action: Option<EditorAction>, typing: Typing, ctx: &EditorCtx) -> EditorOutcome {
        use EditorOutcome::{Close, Commit, Stay};
        if action == Some(EditorAction::Cancel) {
            // The proxy's second question goes back to the first, the URL
            // still typed; every other editor closes.
            if let Editor::ClusterRanges { url, .. } = self {
                return Stay(Editor::Proxy {
                    input: url.into(),
                    error: None,
                });
            }
            return Close;
        }
        match self {
            Editor::Chooser { registry, cursor } => chooser_key(registry, cursor, action, ctx),
            Editor::Private(form) => form.key(action, typing),
            Editor::PauseImage { mut input, error } => match action {
                Some(EditorAction::Accept) => match validate_image(&input) {
                    Ok(image) => Commit(Edit::SetSandbox(image)),
                    Err(e) => Stay(Editor::PauseImage {
                        input,
                        error: Some(e),
                    }),
                },
                Some(_) => Stay(Editor::PauseImage { input, error }),
                None => {
                    typing.apply(&mut input);
                    let error = validate_image(&input).err();
                    Stay(Editor::PauseImage { input, error })
                }
            },
            Editor::Custom {
                registry,
                mut input,
                error,
            } => match action {
                Some(EditorAction::Accept) => match validate_urls(&input) {
                    Ok(urls) => Commit(Edit::SetChoice(registry, Choice::Urls(urls))),
                    Err(e) => Stay(Editor::Custom {
                        registry,
                        input,
                        error: Some(e),
                    }),
                },
                Some(_) => Stay(Editor::Custom {
                    registry,
                    input,
                    error,
                }),
                None => {
                    typing.apply(&mut input);
                    let error = validate_urls(&input).err();
                    Stay(Editor::Custom {
                        registry,
                        input,
                        error,
                    })
                }
            },
            Editor::AccountId {
                registry,
                template,
                mut input,
                error,
            } => match action {
                Some(EditorAction::Accept) => match with_id(&template, &input) {
                    Ok(urls) => Commit(Edit::SetChoice(registry, Choice::Urls(urls))),
                    Err(e) => Stay(Editor::AccountId {
                        registry,
                        template,
                        input,
                        error: Some(e),
                    }),
                },
                Some(_) => Stay(Editor::AccountId {
                    registry,
                    template,
                    input,
                    error,
                }),
                None => {
                    typing.apply(&mut input);
                    // Say what is wrong once there is something to judge.
                    let error = (!input.is_empty())
                        .then(|| with_id(&template, &input).err())
                        .flatten();
                    Stay(Editor::AccountId {
                        registry,
                        template,
                        input,
                        error,
                    })
                }
            },
            Editor::Proxy { mut input, error } => match action {
                Some(EditorAction::Accept) if input.trim().is_empty() => {
                    // "No proxy" removes a drop-in that is there.
                    let present = ctx.node.is_some_and(|n| n.proxy_drop_in.is_some());
                    Commit(Edit::SetProxy(present.then_some(Proxy::Remove)))
                }
                Some(EditorAction::Accept) => {
                    // "URL [NO_PROXY list]": the list is optional.
                    let mut parts = input.split_whitespace();
                    let url = parts.next().unwrap_or("");
                    let no_proxy: Option<Vec<String>> = parts
                        .next()
                        .map(|l| l.split(',').map(str::to_string).collect());
                    // The engine's rule for --proxy and profiles, named by
                    // this field (never "--proxy: …").
                    match Proxy::parse(url, no_proxy.as_deref(), &[]) {
                        // The default NO_PROXY on a node that does not
                        // reveal its cluster's ranges: ask for them.
                        Ok(Proxy::Set {
                            url,
                            no_proxy: NoProxy::Default { .. },
                        }) if ctx.node.is_some_and(|n| n.cluster_cidrs.is_empty()) => {
                            let given = match &ctx.selection.extras.proxy {
                                Some(Proxy::Set {
                                    no_proxy: NoProxy::Default { cluster },
                                    ..
                                }) => cluster.join(","),
                                _ => String::new(),
                            };
                            Stay(Editor::ClusterRanges {
                                url,
                                input: given.into(),
                                error: None,
                            })
                        }
                        Ok(p) => Commit(Edit::SetProxy(Some(p))),
                        Err((_, why)) => Stay(Editor::Proxy {
                            input,
                            error: Some(field_error(crate::t!("wizard.extras.proxy"), why)),
                        }),
                    }
                }
                Some(_) => Stay(Editor::Proxy { input, error }),
                None => {
                    typing.apply(&mut input);
                    let error = if input.trim().is_empty() {
                        None
                    } else {
                        crate::extras::proxy_url(input.split_whitespace().next().unwrap_or(""))
                            .err()
                    };
                    Stay(Editor::Proxy { input, error })
                }
            },
            Editor::ClusterRanges {
                url,
                mut input,
                error,
            } => {
                let parse = |input: &Input| {
                    let ranges: Vec<String> = input
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .map(str::to_string)
                        .collect();
                    Proxy::parse(&url, None, &ranges).map_err(|(_, why)| {
                        field_error(crate::t!("wizard.extras.cluster_ranges"), why)
                    })
                };
                match action {
                    Some(EditorAction::Accept) => match parse(&input) {
                        Ok(p) => Commit(Edit::SetProxy(Some(p))),
                        Err(e) => Stay(Editor::ClusterRanges {
                            url,
                            input,
                            error: Some(e),
                        }),
                    },
                    Some(_) => Stay(Editor::ClusterRanges { url, input, error }),
                    None => {
                        typing.apply(&mut input);
                        let error = parse(&input).err();
                        Stay(Editor::ClusterRanges { url, input, error })
                    }
                }
            }
            Editor::AddRegistry { mut input, error } => match action {
                Some(EditorAction::Accept) => match RegistryName::parse(&input) {
                    Ok(r) => Commit(Edit::AddRegistry(r)),
                    Err(e) => Stay(Editor::AddRegistry {
                        input,
                        error: Some(e.reason.to_string()),
                    }),
                },
                Some(_) => Stay(Editor::AddRegistry { input, error }),
                None => {
                    typing.apply(&mut input);
                    let error = if input.is_empty() {
                        None
                    } else {
                        RegistryName::parse(&input)
                            .err()
                            .map(|e| e.reason.to_string())
                    };
                    Stay(Editor::AddRegistry { input, error })
                }
            },
        }
    }
}

fn chooser_key(
    registry: RegistryName,
    cursor: usize,
    action: Option<EditorAction>,
    ctx: &EditorCtx,
) -> EditorOutcome {
    use EditorOutcome::{Close, Commit, Stay};
    let options = chooser_options(ctx.catalog, &registry);
    match action {
        Some(EditorAction::Up) => Stay(Editor::Chooser {
            registry,
            cursor: cursor.saturating_sub(1),
        }),
        Some(EditorAction::Down) => Stay(Editor::Chooser {
            registry,
            cursor: (cursor + 1).min(options.len() - 1),
        }),
        Some(EditorAction::Accept) => match &options[cursor] {
            ChooserOption::Preset(id) if ctx.catalog.preset(id).is_ok_and(|p| p.needs_id()) => {
                match ask_for_id(ctx.catalog, registry, id) {
                    Some(e) => Stay(e),
                    None => Close,
                }
            }
            ChooserOption::Preset(id) => {
                Commit(Edit::SetChoice(registry, Choice::Preset(id.clone())))
            }
            ChooserOption::Remove => Commit(Edit::SetChoice(registry, Choice::Remove)),
            ChooserOption::Custom => {
                let input = match ctx.selection.mirrors.get(&registry) {
                    Some(Choice::Urls(u)) => u.join(","),
                    _ => String::new(),
                };
                let error = validate_urls(&input).err();
                Stay(Editor::Custom {
                    registry,
                    input: input.into(),
                    error,
                })
            }
        },
        _ => Stay(Editor::Chooser { registry, cursor }),
    }
}

/// The ID prompt for a preset whose URLs hold the user's own `<id>`
/// (Aliyun's and Huawei Cloud's personal accelerators).
pub fn ask_for_id(catalog: &Catalog, registry: RegistryName, preset: &str) -> Option<Editor> {
    let template = catalog
        .preset(preset)
        .ok()?
        .mirrors_for(&registry)?
        .to_vec();
    Some(Editor::AccountId {
        registry,
        template,
        input: Input::default(),
        error: None,
    })
}

/// The template's URLs with `id` in place of `<id>`, validated.
fn with_id(template: &[String], id: &str) -> Result<Vec<String>, String> {
    let id = id.trim();
    if id.is_empty() {
        return Err(crate::t!("wizard.registries.id_empty").into());
    }
    let urls: Vec<String> = template.iter().map(|u| u.replace("<id>", id)).collect();
    validate_urls(&urls.join(","))
}

/// What is typed into an input box: a key, or pasted text.
pub enum Typing<'a> {
    Key(&'a KeyEvent),
    Paste(&'a str),
}

impl Typing<'_> {
    /// Edits `input` at its cursor (input.rs has the keys).
    pub fn apply(&self, input: &mut Input) {
        match self {
            Typing::Key(k) => {
                input.key(k);
            }
            Typing::Paste(s) => input.paste(s),
        }
    }
}

/// The fields of the private-registry form, in Tab order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PrivateField {
    #[default]
    Host,
    Ca,
    ClientCert,
    ClientKey,
    Auth,
    Transport,
}

impl PrivateField {
    pub const ALL: [PrivateField; 6] = [
        PrivateField::Host,
        PrivateField::Ca,
        PrivateField::ClientCert,
        PrivateField::ClientKey,
        PrivateField::Auth,
        PrivateField::Transport,
    ];

    fn index(self) -> usize {
        Self::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }

    /// The next field, wrapping around.
    pub fn next(self) -> PrivateField {
        Self::ALL[(self.index() + 1) % Self::ALL.len()]
    }

    pub fn prev(self) -> PrivateField {
        Self::ALL[(self.index() + Self::ALL.len() - 1) % Self::ALL.len()]
    }
}

/// How containerd talks to a private registry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Transport {
    #[default]
    Https,
    SkipVerify,
    PlainHttp,
}

impl Transport {
    /// The next choice, in the order Space cycles them.
    pub fn next(self) -> Transport {
        match self {
            Transport::Https => Transport::SkipVerify,
            Transport::SkipVerify => Transport::PlainHttp,
            Transport::PlainHttp => Transport::Https,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Transport::Https => crate::t!("wizard.private.https"),
            Transport::SkipVerify => crate::t!("wizard.private.skip_verify"),
            Transport::PlainHttp => crate::t!("wizard.private.plain_http"),
        }
    }
}

/// The private-registry form of the Extras step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrivateForm {
    pub field: PrivateField,
    pub host: Input,
    pub ca: Input,
    pub client_cert: Input,
    pub client_key: Input,
    pub auth: Input,
    pub transport: Transport,
    pub error: Option<String>,
    /// Editing this registry (Space on its row): it is replaced.
    pub replaces: Option<RegistryName>,
}

impl PrivateForm {
    /// The registry this form describes; the CA file is read later, at the
    /// edge (`Effect::AddPrivate`).
    pub fn to_registry(&self) -> Result<PrivateRegistry, String> {
        let host = RegistryName::parse(self.host.trim())
            .map_err(|e| crate::t!("wizard.private.bad_host", reason = e.reason))?;
        let mut r = PrivateRegistry::new(host);
        r.skip_verify = self.transport == Transport::SkipVerify;
        r.plain_http = self.transport == Transport::PlainHttp;
        if !self.ca.trim().is_empty() {
            r.ca = Some(std::path::PathBuf::from(self.ca.trim()));
        }
        if !self.client_cert.trim().is_empty() {
            r.client_cert = Some(std::path::PathBuf::from(self.client_cert.trim()));
        }
        if !self.client_key.trim().is_empty() {
            r.client_key = Some(std::path::PathBuf::from(self.client_key.trim()));
        }
        if !self.auth.trim().is_empty() {
            let (u, p) = self
                .auth
                .trim()
                .split_once(':')
                .ok_or(crate::t!("wizard.private.bad_auth"))?;
            r.username = Some(u.to_string());
            r.password = Some(p.to_string());
        }
        r.validate().map_err(|e| e.to_string())?;
        Ok(r)
    }

    /// The form for editing a registry already chosen: its values back.
    pub fn editing(r: &PrivateRegistry) -> PrivateForm {
        let path = |p: &Option<std::path::PathBuf>| {
            p.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        PrivateForm {
            field: PrivateField::Host,
            host: Input::new(r.host.to_string()),
            ca: Input::new(path(&r.ca)),
            client_cert: Input::new(path(&r.client_cert)),
            client_key: Input::new(path(&r.client_key)),
            auth: Input::new(match (&r.username, &r.password) {
                (Some(u), Some(p)) => format!("{u}:{p}"),
                _ => String::new(),
            }),
            transport: if r.plain_http {
                Transport::PlainHttp
            } else if r.skip_verify {
                Transport::SkipVerify
            } else {
                Transport::Https
            },
            error: None,
            replaces: Some(r.host.clone()),
        }
    }

    /// The field a file-reading error is about (the path it names), so the
    /// form reopens there.
    pub fn field_of_error(&self, error: &str) -> PrivateField {
        [
            (PrivateField::ClientKey, &self.client_key),
            (PrivateField::ClientCert, &self.client_cert),
            (PrivateField::Ca, &self.ca),
        ]
        .into_iter()
        .find(|(_, p)| !p.trim().is_empty() && error.contains(p.trim()))
        .map_or(self.field, |(f, _)| f)
    }

    /// The text of a field (`None`: the transport, chosen with Space).
    pub fn text(&self, field: PrivateField) -> Option<&Input> {
        Some(match field {
            PrivateField::Host => &self.host,
            PrivateField::Ca => &self.ca,
            PrivateField::ClientCert => &self.client_cert,
            PrivateField::ClientKey => &self.client_key,
            PrivateField::Auth => &self.auth,
            PrivateField::Transport => return None,
        })
    }

    fn text_mut(&mut self) -> Option<&mut Input> {
        Some(match self.field {
            PrivateField::Host => &mut self.host,
            PrivateField::Ca => &mut self.ca,
            PrivateField::ClientCert => &mut self.client_cert,
            PrivateField::ClientKey => &mut self.client_key,
            PrivateField::Auth => &mut self.auth,
            PrivateField::Transport => return None,
        })
    }

    fn key(mut self, action: Option<EditorAction>, typing: Typing) -> EditorOutcome {
        match action {
            Some(EditorAction::Cancel) => return EditorOutcome::Close,
            Some(EditorAction::NextField) => self.field = self.field.next(),
            Some(EditorAction::PrevField) => self.field = self.field.prev(),
            Some(EditorAction::Transport) => self.transport = self.transport.next(),
            Some(EditorAction::Accept) => match self.to_registry() {
                Ok(r) => {
                    return EditorOutcome::Commit(Edit::AddPrivate(Box::new(r), Box::new(self)))
                }
                Err(e) => self.error = Some(e),
            },
            Some(_) => {}
            None => {
                if let Some(text) = self.text_mut() {
                    typing.apply(text);
                }
                self.error = self.to_registry().err().filter(|_| !self.host.is_empty());
            }
        }
        EditorOutcome::Stay(Editor::Private(self))
    }
}

/// Validates comma-separated mirror URLs as the user types.
pub fn validate_urls(input: &str) -> Result<Vec<String>, String> {
    let urls: Vec<&str> = input
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if urls.is_empty() {
        return Err(crate::t!("wizard.registries.urls_missing").into());
    }
    // The engine's rule, the same for --mirror and profiles.
    Endpoint::parse_list(&urls)
        .map(|eps| eps.iter().map(Endpoint::url).collect())
        .map_err(|e| e.to_string())
}

/// A pause image reference: `[registry/]path:tag` (or `@sha256:…`), no spaces.
/// The engine's rule, the same for --sandbox-image and profiles.
pub fn validate_image(input: &str) -> Result<String, String> {
    crate::extras::sandbox_image(input)
}

/// An error in a wizard field, named by the field's label.
fn field_error(label: &str, why: String) -> String {
    crate::error::Origin::Field(label.trim().into())
        .error(why)
        .to_string()
}
