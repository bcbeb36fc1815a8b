//! Writing into a toml_edit document the way the file already writes:
//! tables created implicitly and indented like their siblings, values
//! replaced with their spacing, comments and quote style kept. Apart from
//! the edits so that each edit says only what it sets, and where.

use toml_edit::{DocumentMut, Item, Table, TableLike, Value};

/// [`ensure_table`] and the indentation its keys take.
pub(super) fn ensure_table_indented<'a>(
    doc: &'a mut DocumentMut,
    path: &[&str],
) -> (Option<String>, &'a mut dyn TableLike) {
    ensure_table(doc, path);
    let indent = header_indent(doc, path);
    (indent, ensure_table(doc, path))
}

/// Walks (and creates) nested tables; intermediate tables that did not
/// exist are implicit so no empty headers appear.
pub(super) fn ensure_table<'a>(doc: &'a mut DocumentMut, path: &[&str]) -> &'a mut dyn TableLike {
    let mut cur: &mut dyn TableLike = doc.as_table_mut();
    for (i, key) in path.iter().enumerate() {
        let last = i == path.len() - 1;
        let needs_new = !cur.get(key).is_some_and(|it| it.is_table_like());
        if needs_new {
            let mut t = Table::new();
            t.set_implicit(!last);
            // Indent a new table's header like its siblings' (containerd's
            // and Debian's files nest by two spaces per level), after a
            // blank line.
            let sibling = cur
                .iter()
                .filter_map(|(_, it)| it.as_table())
                .filter(|t| !t.is_implicit())
                .find_map(|t| t.decor().prefix().and_then(|p| p.as_str()))
                .map(|p| p.rsplit('\n').next().unwrap_or("").to_string());
            if let Some(indent) = sibling.filter(|_| last) {
                t.decor_mut().set_prefix(format!("\n{indent}"));
            }
            cur.insert(key, Item::Table(t));
        }
        cur = cur
            .get_mut(key)
            .and_then(Item::as_table_like_mut)
            .expect("just ensured a table");
    }
    cur
}

/// Replaces a string value but keeps the spacing and trailing comment
/// around it; a new key copies the indentation of its siblings.
pub(super) fn set_string_keep_decor(
    table: &mut dyn TableLike,
    key: &str,
    new: &str,
    header_indent: Option<String>,
) {
    // 2.x files quote with single quotes (`config_path = ''`): a new value
    // keeps the old one's style when a literal string can hold it.
    let literal = table
        .get(key)
        .and_then(Item::as_value)
        .filter(|v| v.is_str())
        .is_some_and(|v| v.to_string().trim_start().starts_with('\''))
        && !new.contains(['\'', '\n', '\r'])
        && !new.chars().any(char::is_control);
    let value = if literal {
        format!("'{new}'")
            .parse()
            .unwrap_or_else(|_| Value::from(new))
    } else {
        Value::from(new)
    };
    set_value_keep_decor(table, key, value, header_indent);
}

/// The indentation for keys of the table at `path`: its header's own
/// indentation plus two spaces (containerd's default files indent so).
fn header_indent(doc: &DocumentMut, path: &[&str]) -> Option<String> {
    let mut item = doc.as_item();
    for p in path {
        item = item.get(p)?;
    }
    let prefix = item.as_table()?.decor().prefix()?.as_str()?;
    let own = prefix.rsplit('\n').next().unwrap_or("");
    (!own.is_empty() || prefix.contains('\n')).then(|| format!("{own}  "))
}

pub(super) fn set_value_keep_decor(
    table: &mut dyn TableLike,
    key: &str,
    new: Value,
    header_indent: Option<String>,
) {
    if let Some(v) = table.get_mut(key).and_then(Item::as_value_mut) {
        let decor = v.decor().clone();
        *v = new;
        *v.decor_mut() = decor;
        return;
    }
    // Indent like a sibling key, else two spaces past the table's header.
    let indent = table
        .iter()
        .find(|(_, v)| v.is_value())
        .and_then(|(k, _)| table.key(k))
        .and_then(|k| k.leaf_decor().prefix())
        .and_then(|p| p.as_str())
        .map(|p| p.rsplit('\n').next().unwrap_or("").to_string())
        .or(header_indent);
    table.insert(key, Item::Value(new));
    if let (Some(indent), Some(mut k)) = (indent, table.key_mut(key)) {
        k.leaf_decor_mut().set_prefix(indent);
    }
}
