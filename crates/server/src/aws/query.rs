//! The AWS query protocol (IAM, STS): form-encoded parameters in, XML out. Lists arrive as
//! `Name.member.N`, structures as `Name.member.N.Field`; answers are wrapped in
//! `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…` and errors in
//! `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A query-protocol error, rendered in the service's XML.
#[derive(Debug, Clone)]
pub struct QueryError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl QueryError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        QueryError { status, code: code.into(), message: message.into() }
    }

    pub fn sender(code: impl Into<String>, message: impl Into<String>) -> Self {
        QueryError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        QueryError::sender("ValidationError", message)
    }

    pub fn internal() -> Self {
        QueryError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "The request processing has failed because of an unknown error.")
    }

    pub fn render(&self, namespace: &str, request_id: &str) -> Response {
        let kind = if self.status.is_server_error() { "Receiver" } else { "Sender" };
        let body = format!(
            "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            escape(&self.code),
            escape(&self.message)
        );
        let mut response = xml_response(self.status, body, request_id);
        response.extensions_mut().insert(QueryErrorCode(self.code.clone()));
        response
    }
}

/// The code of a query-protocol error answer, in its response extensions (for the request log
/// and metrics; the JSON protocol's is the `x-amzn-ErrorType` header).
#[derive(Clone)]
pub struct QueryErrorCode(pub String);

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("text/xml"));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

/// Renders a successful answer: `inner` is the XML of the result members.
pub fn success(action: &str, namespace: &str, inner: &str, request_id: &str) -> Response {
    let body = format!(
        "<{action}Response xmlns=\"{namespace}\"><{action}Result>{inner}</{action}Result><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    );
    xml_response(StatusCode::OK, body, request_id)
}

/// Escapes text for an XML element.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// Builds XML member by member.
#[derive(Default)]
pub struct Xml(String);

impl Xml {
    pub fn new() -> Self {
        Xml(String::new())
    }

    pub fn text(&mut self, name: &str, value: &str) -> &mut Self {
        self.0.push_str(&format!("<{name}>{}</{name}>", escape(value)));
        self
    }

    pub fn optional(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.text(name, value);
        }
        self
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.0.push_str(&format!("<{name}>"));
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.0.push_str(&format!("</{name}>"));
        self
    }

    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

/// The decoded parameters of a query request.
#[derive(Debug, Clone, Default)]
pub struct QueryInput {
    params: BTreeMap<String, String>,
}

fn decode_component(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned()
}

impl QueryInput {
    pub fn parse(encoded: &[u8]) -> Result<QueryInput, QueryError> {
        let text = std::str::from_utf8(encoded).map_err(|_| QueryError::validation("The request body is not UTF-8."))?;
        let mut params = BTreeMap::new();
        for pair in text.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            params.insert(decode_component(name), decode_component(value));
        }
        Ok(QueryInput { params })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn required(&self, name: &str) -> Result<&str, QueryError> {
        self.get(name).ok_or_else(|| {
            QueryError::validation(super::validation::missing(&lower_first(name)))
        })
    }

    pub fn integer(&self, name: &str) -> Result<Option<i64>, QueryError> {
        self.get(name)
            .map(|value| value.trim().parse::<i64>().map_err(|_| QueryError::validation(format!("{name} must be an integer."))))
            .transpose()
    }

    /// `Name.member.1`, `Name.member.2`, … in order.
    pub fn list(&self, name: &str) -> Vec<String> {
        let mut index = 1;
        let mut values = Vec::new();
        while let Some(value) = self.get(&format!("{name}.member.{index}")) {
            values.push(value.to_string());
            index += 1;
        }
        values
    }

    /// Structures `Name.member.N.<field>`: for each N, the fields asked for.
    pub fn structures(&self, name: &str, fields: &[&str]) -> Vec<BTreeMap<String, String>> {
        let mut index = 1;
        let mut items = Vec::new();
        loop {
            let prefix = format!("{name}.member.{index}.");
            // One ordered seek per item (the first key at or after the prefix), not a scan of
            // every key: a request with thousands of members costs linear time.
            let present = self.params.range(prefix.clone()..).next().is_some_and(|(key, _)| key.starts_with(&prefix));
            if !present {
                return items;
            }
            let mut item = BTreeMap::new();
            for field in fields {
                if let Some(value) = self.get(&format!("{prefix}{field}")) {
                    item.insert(field.to_string(), value.to_string());
                }
            }
            items.push(item);
            index += 1;
        }
    }

    /// `Tags.member.N.Key` / `.Value` as a map.
    pub fn tags(&self, name: &str) -> BTreeMap<String, String> {
        self.structures(name, &["Key", "Value"])
            .into_iter()
            .filter_map(|mut item| Some((item.remove("Key")?, item.remove("Value").unwrap_or_default())))
            .collect()
    }
}

fn lower_first(name: &str) -> String {
    let mut characters = name.chars();
    match characters.next() {
        Some(first) => first.to_lowercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// Percent-encodes a policy document as IAM returns it in XML answers.
pub fn url_encode(text: &str) -> String {
    crate::aws::sigv4::uri_encode(text, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_structures() {
        let input = QueryInput::parse(
            b"Action=CreateRole&RoleName=r&Tags.member.1.Key=team&Tags.member.1.Value=blue&ClientIDList.member.1=a&ClientIDList.member.2=b%2Bc&Doc=%7B%22a%22%3A1%7D",
        )
        .unwrap();
        assert_eq!(input.get("Action"), Some("CreateRole"));
        assert_eq!(input.list("ClientIDList"), vec!["a", "b+c"]);
        assert_eq!(input.tags("Tags").get("team").map(String::as_str), Some("blue"));
        assert_eq!(input.get("Doc"), Some("{\"a\":1}"));
        assert!(input.required("Missing").is_err());
    }

    /// 16,000 tags took 1.3 s of CPU when every item rescanned every key.
    #[test]
    fn many_structures_parse_in_linear_time() {
        let body: Vec<String> = (1..=16_000).map(|index| format!("Tags.member.{index}.Key=k{index}&Tags.member.{index}.Value=v")).collect();
        let input = QueryInput::parse(body.join("&").as_bytes()).unwrap();
        let started = std::time::Instant::now();
        assert_eq!(input.tags("Tags").len(), 16_000);
        assert!(started.elapsed() < std::time::Duration::from_millis(500), "{:?}", started.elapsed());
    }

    #[test]
    fn escapes_xml() {
        assert_eq!(escape("<a & 'b'>"), "&lt;a &amp; &apos;b&apos;&gt;");
    }
}
