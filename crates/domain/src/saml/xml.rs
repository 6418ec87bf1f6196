//! The XML under SAML: a document parsed with DTDs refused and a bound on its size and depth,
//! the namespaces SAML uses, and the few lookups the readers need (a named child, an element's
//! text as canonicalisation sees it, the prefix an element was written with).

use roxmltree::{Document, Node, NodeType, ParsingOptions};

use crate::error::{DomainError, DomainResult};

pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// The deepest nesting a SAML document needs is about a dozen elements.
const MAX_DEPTH: usize = 48;
/// Nodes of one document (a large metadata file of an IdP federation has a few thousand).
const MAX_NODES: u32 = 200_000;

/// Parses `text`, refusing a DTD (and with it every entity but the five predefined ones), more
/// than [`MAX_NODES`] nodes and elements nested deeper than [`MAX_DEPTH`].
pub fn parse<'input>(text: &'input str, what: &str) -> DomainResult<Document<'input>> {
    let options = ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES };
    let document = Document::parse_with_options(text, options).map_err(|error| invalid(format!("The {what} is not well-formed XML: {error}")))?;
    let mut depth = 0usize;
    for edge in edges(document.root()) {
        match edge {
            Edge::Open(node) if node.is_element() => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(invalid(format!("The {what} nests elements too deeply.")));
                }
            }
            Edge::Close(node) if node.is_element() => depth -= 1,
            _ => {}
        }
    }
    Ok(document)
}

/// One step of a walk through a subtree: a node entered, or left.
pub enum Edge<'a, 'input> {
    Open(Node<'a, 'input>),
    Close(Node<'a, 'input>),
}

/// The nodes of `apex`'s subtree in document order, each entered and left, without recursion.
pub fn edges<'a, 'input>(apex: Node<'a, 'input>) -> impl Iterator<Item = Edge<'a, 'input>> {
    let mut stack = vec![(apex, false)];
    std::iter::from_fn(move || {
        let (node, entered) = stack.pop()?;
        if entered {
            return Some(Edge::Close(node));
        }
        stack.push((node, true));
        let mut child = node.last_child();
        while let Some(current) = child {
            stack.push((current, false));
            child = current.prev_sibling();
        }
        Some(Edge::Open(node))
    })
}

pub fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::InvalidIdentityToken(message.into())
}

/// The element children of `node` named `name` in namespace `namespace`.
pub fn children<'a, 'input: 'a>(node: Node<'a, 'input>, namespace: &'a str, name: &'a str) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children().filter(move |child| child.is_element() && child.tag_name().namespace() == Some(namespace) && child.tag_name().name() == name)
}

/// The one child named so; `None` when there is none, an error when there are several.
pub fn only_child<'a, 'input: 'a>(node: Node<'a, 'input>, namespace: &'a str, name: &'a str) -> DomainResult<Option<Node<'a, 'input>>> {
    let mut found = children(node, namespace, name);
    let first = found.next();
    if found.next().is_some() {
        return Err(invalid(format!("The SAML document has more than one {name} where one is allowed.")));
    }
    Ok(first)
}

/// Whether `node` is the element `name` of `namespace`.
pub fn is(node: Node<'_, '_>, namespace: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(namespace) && node.tag_name().name() == name
}

/// An element's text as the signature covers it: every text node under it, comments skipped
/// (so `a<!-- -->b` reads `ab`, as canonicalisation without comments signs it), trimmed.
pub fn text_of(node: Node<'_, '_>) -> String {
    let text: String = node.descendants().filter(|child| child.node_type() == NodeType::Text).filter_map(|child| child.text()).collect();
    text.trim().to_string()
}

/// The prefix an element's start tag was written with (`""` for none), read from the source.
pub fn element_prefix<'input>(source: &'input str, node: Node<'_, 'input>) -> &'input str {
    let tag = &source[node.range().start + 1..];
    let end = tag.find(|character: char| character.is_whitespace() || character == '>' || character == '/').unwrap_or(tag.len());
    match tag[..end].split_once(':') {
        Some((prefix, _)) => prefix,
        None => "",
    }
}

/// A base64 SAML message (`what` names it in errors) as text, at most `max` bytes decoded.
pub fn decoded(encoded: &str, what: &str, max: usize) -> DomainResult<String> {
    let bytes = base64_of(encoded).map_err(|_| invalid(format!("The {what} is not base64.")))?;
    if bytes.len() > max {
        return Err(invalid(format!("The {what} is too large.")));
    }
    String::from_utf8(bytes).map_err(|_| invalid(format!("The {what} is not UTF-8.")))
}

/// The StatusCode Value of a SAML protocol message (empty when it names none).
pub fn status_of<'a>(message: Node<'a, '_>) -> DomainResult<&'a str> {
    let code = only_child(message, SAMLP, "Status")?.map(|status| only_child(status, SAMLP, "StatusCode")).transpose()?.flatten();
    Ok(code.and_then(|code| code.attribute("Value")).unwrap_or_default())
}

/// Base64 as XML carries it: whitespace (line breaks every 64 or 76 characters) ignored.
pub fn base64_of(text: &str) -> DomainResult<Vec<u8>> {
    use base64::Engine as _;
    let compact: String = text.chars().filter(|character| !character.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| invalid("The SAML document holds a value that is not base64."))
}
