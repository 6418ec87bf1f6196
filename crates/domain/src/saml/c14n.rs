//! Exclusive XML canonicalisation without comments (`http://www.w3.org/2001/10/xml-exc-c14n#`),
//! the form SAML signatures are computed over: an element's subtree written with its namespace
//! declarations reduced to those it and its attributes use (plus an InclusiveNamespaces
//! PrefixList), attributes sorted by namespace and name, comments dropped, and the escaping
//! the recommendation fixes. One subtree can be left out (the enveloped signature).

use roxmltree::{Attribute, Node, NodeType};

use super::xml::{edges, element_prefix, Edge};

/// The canonical form of `apex` and its descendants, leaving out `exclude` and its subtree.
/// `inclusive` are the PrefixList's prefixes (`#default` for the default namespace).
pub fn canonicalize(source: &str, apex: Node<'_, '_>, exclude: Option<Node<'_, '_>>, inclusive: &[String]) -> String {
    let mut out = String::new();
    // The namespace declarations in force in the output, one frame per open element.
    let mut rendered: Vec<Vec<(String, String)>> = vec![Vec::new()];
    let mut skipping = false;
    for edge in edges(apex) {
        match edge {
            Edge::Open(node) => {
                if skipping {
                    continue;
                }
                if exclude.is_some_and(|excluded| excluded == node) {
                    skipping = true;
                    continue;
                }
                match node.node_type() {
                    NodeType::Element => {
                        let in_force = rendered.last().cloned().unwrap_or_default();
                        let frame = start_tag(&mut out, source, node, &in_force, inclusive);
                        rendered.push(frame);
                    }
                    NodeType::Text => escape_text(&mut out, node.text().unwrap_or_default()),
                    NodeType::PI => {
                        if let Some(pi) = node.pi() {
                            out.push_str("<?");
                            out.push_str(pi.target);
                            if let Some(value) = pi.value.filter(|value| !value.is_empty()) {
                                out.push(' ');
                                out.push_str(value);
                            }
                            out.push_str("?>");
                        }
                    }
                    NodeType::Comment | NodeType::Root => {}
                }
            }
            Edge::Close(node) => {
                if skipping {
                    if exclude.is_some_and(|excluded| excluded == node) {
                        skipping = false;
                    }
                    continue;
                }
                if node.is_element() {
                    out.push_str("</");
                    out.push_str(&qualified(element_prefix(source, node), node.tag_name().name()));
                    out.push('>');
                    rendered.pop();
                }
            }
        }
    }
    out
}

fn qualified(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}:{name}")
    }
}

/// The prefix a namespaced attribute was written with, read from the source.
fn attribute_prefix<'input>(source: &'input str, attribute: &Attribute<'_, 'input>) -> &'input str {
    source[attribute.range_qname()].split_once(':').map_or("", |(prefix, _)| prefix)
}

/// Writes the start tag and answers the declarations in force below it.
fn start_tag(out: &mut String, source: &str, node: Node<'_, '_>, in_force: &[(String, String)], inclusive: &[String]) -> Vec<(String, String)> {
    let prefix = element_prefix(source, node);
    // The namespaces this element visibly uses: its own and its attributes' prefixes, and the
    // PrefixList's that are in scope here.
    let mut used: Vec<(String, String)> = vec![(prefix.to_string(), node.tag_name().namespace().unwrap_or_default().to_string())];
    for attribute in node.attributes() {
        if let Some(namespace) = attribute.namespace() {
            let attribute_prefix = attribute_prefix(source, &attribute);
            if attribute_prefix != "xml" {
                used.push((attribute_prefix.to_string(), namespace.to_string()));
            }
        }
    }
    for listed in inclusive {
        let listed = if listed == "#default" { "" } else { listed.as_str() };
        let uri = node.lookup_namespace_uri(if listed.is_empty() { None } else { Some(listed) });
        if let Some(uri) = uri {
            used.push((listed.to_string(), uri.to_string()));
        }
    }
    used.sort();
    used.dedup_by(|a, b| a.0 == b.0);
    let mut frame = in_force.to_vec();
    let mut declarations = Vec::new();
    for (used_prefix, uri) in used {
        let current = in_force.iter().find(|(declared, _)| *declared == used_prefix).map(|(_, uri)| uri.as_str());
        let needed = if used_prefix.is_empty() && uri.is_empty() { current.is_some_and(|current| !current.is_empty()) } else { current != Some(uri.as_str()) };
        if needed {
            frame.retain(|(declared, _)| *declared != used_prefix);
            frame.push((used_prefix.clone(), uri.clone()));
            declarations.push((used_prefix, uri));
        }
    }
    out.push('<');
    out.push_str(&qualified(prefix, node.tag_name().name()));
    for (declared, uri) in &declarations {
        if declared.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(declared);
            out.push_str("=\"");
        }
        escape_attribute(out, uri);
        out.push('"');
    }
    let mut attributes: Vec<(&str, &str, String, &str)> = node
        .attributes()
        .map(|attribute| {
            let namespace = attribute.namespace().unwrap_or("");
            let name = match attribute.namespace() {
                Some(_) => qualified(attribute_prefix(source, &attribute), attribute.name()),
                None => attribute.name().to_string(),
            };
            (namespace, attribute.name(), name, attribute.value())
        })
        .collect();
    attributes.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (_, _, name, value) in attributes {
        out.push(' ');
        out.push_str(&name);
        out.push_str("=\"");
        escape_attribute(out, value);
        out.push('"');
    }
    out.push('>');
    frame
}

fn escape_text(out: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            other => out.push(other),
        }
    }
}

fn escape_attribute(out: &mut String, value: &str) {
    for character in value.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::xml::parse;

    fn c14n(text: &str, inclusive: &[&str]) -> String {
        let document = parse(text, "test").unwrap();
        let inclusive: Vec<String> = inclusive.iter().map(|prefix| prefix.to_string()).collect();
        canonicalize(text, document.root_element(), None, &inclusive)
    }

    #[test]
    fn declarations_are_reduced_to_those_used_and_attributes_sorted() {
        let text = r#"<a:r xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:u" z="1" b:y="2" a="3"><b:c/><d xmlns="urn:d">x &amp; &lt;y&gt;</d></a:r>"#;
        assert_eq!(
            c14n(text, &[]),
            r#"<a:r xmlns:a="urn:a" xmlns:b="urn:b" a="3" z="1" b:y="2"><b:c></b:c><d xmlns="urn:d">x &amp; &lt;y&gt;</d></a:r>"#
        );
    }

    #[test]
    fn a_subtree_declares_what_it_uses_from_outside_and_comments_go() {
        let text = r#"<r xmlns:s="urn:s" xmlns:xs="urn:xs"><s:e s:t="xs:string">a<!-- hidden -->b</s:e></r>"#;
        let document = parse(text, "test").unwrap();
        let element = document.root_element().first_element_child().unwrap();
        assert_eq!(canonicalize(text, element, None, &[]), r#"<s:e xmlns:s="urn:s" s:t="xs:string">ab</s:e>"#);
        let inclusive = vec!["xs".to_string()];
        assert_eq!(canonicalize(text, element, None, &inclusive), r#"<s:e xmlns:s="urn:s" xmlns:xs="urn:xs" s:t="xs:string">ab</s:e>"#);
    }

    #[test]
    fn attribute_values_and_line_breaks_are_escaped() {
        let text = "<r a=\"x&#xA;y&#9;&quot;\">1\r\n2&#xD;</r>";
        assert_eq!(c14n(text, &[]), "<r a=\"x&#xA;y&#x9;&quot;\">1\n2&#xD;</r>");
    }

    #[test]
    fn an_excluded_subtree_is_left_out() {
        let text = r#"<r ID="1"><Signature><x/></Signature><v>1</v></r>"#;
        let document = parse(text, "test").unwrap();
        let signature = document.root_element().first_element_child().unwrap();
        assert_eq!(canonicalize(text, document.root_element(), Some(signature), &[]), r#"<r ID="1"><v>1</v></r>"#);
    }

    #[test]
    fn a_default_namespace_is_undeclared_where_an_element_leaves_it() {
        let text = r#"<r xmlns="urn:d"><e xmlns=""/></r>"#;
        assert_eq!(c14n(text, &[]), r#"<r xmlns="urn:d"><e xmlns=""></e></r>"#);
    }

    #[test]
    fn documents_with_a_dtd_are_refused() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>"#;
        assert!(parse(bomb, "test").is_err());
        let external = r#"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
        assert!(parse(external, "test").is_err());
    }
}
