//! Where each statement of a policy document stands, as SimulatePrincipalPolicy's
//! MatchedStatements report it: the line and column (both from 1, columns in characters) of the
//! `{` that opens the statement, and of the place just past the `}` that closes it. A scan of
//! the document's text, which the parser has already read as JSON.

/// A place in a policy document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The start and end of each statement of `document`, in order (the last `Statement` member
/// of the top-level object, as the parser reads it); empty when there is nothing to find.
pub(super) fn statement_spans(document: &str) -> Vec<(Position, Position)> {
    let mut scanner = Scanner { bytes: document.as_bytes(), at: 0 };
    let mut offsets = Vec::new();
    scanner.skip_space();
    if !scanner.take(b'{') {
        return Vec::new();
    }
    loop {
        scanner.skip_space();
        let Some(key) = scanner.string() else { break };
        scanner.skip_space();
        if !scanner.take(b':') {
            break;
        }
        scanner.skip_space();
        if key == b"Statement" {
            offsets.clear();
            scanner.statements(&mut offsets);
        } else {
            scanner.value();
        }
        scanner.skip_space();
        if !scanner.take(b',') {
            break;
        }
    }
    offsets.into_iter().map(|(start, end)| (position_of(document, start), position_of(document, end))).collect()
}

fn position_of(document: &str, offset: usize) -> Position {
    let before = &document[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    Position { line, column: before[line_start..].chars().count() + 1 }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn take(&mut self, byte: u8) -> bool {
        let taken = self.peek() == Some(byte);
        self.at += usize::from(taken);
        taken
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|byte| byte.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// A string's raw bytes between its quotes (escapes left as written).
    fn string(&mut self) -> Option<&'a [u8]> {
        if !self.take(b'"') {
            return None;
        }
        let start = self.at;
        let bytes = self.bytes;
        while let Some(byte) = self.peek() {
            match byte {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return Some(&bytes[start..self.at - 1]);
                }
                _ => self.at += 1,
            }
        }
        None
    }

    /// Skips one value: a string, an object or array (with everything in it), or a scalar.
    fn value(&mut self) {
        match self.peek() {
            Some(b'"') => {
                self.string();
            }
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                while let Some(byte) = self.peek() {
                    match byte {
                        b'"' => {
                            self.string();
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth -= 1,
                        _ => {}
                    }
                    self.at += 1;
                    if depth == 0 {
                        return;
                    }
                }
            }
            _ => {
                while self.peek().is_some_and(|byte| !matches!(byte, b',' | b'}' | b']') && !byte.is_ascii_whitespace()) {
                    self.at += 1;
                }
            }
        }
    }

    /// The `Statement` member's value: one object, or a list of them.
    fn statements(&mut self, offsets: &mut Vec<(usize, usize)>) {
        let mut object = |scanner: &mut Self| {
            let start = scanner.at;
            scanner.value();
            offsets.push((start, scanner.at));
        };
        match self.peek() {
            Some(b'{') => object(self),
            Some(b'[') => {
                self.at += 1;
                loop {
                    self.skip_space();
                    match self.peek() {
                        Some(b'{') => object(self),
                        Some(b',') => self.at += 1,
                        Some(b']') | None => {
                            self.at += 1;
                            return;
                        }
                        Some(_) => self.value(),
                    }
                }
            }
            _ => self.value(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    #[test]
    fn statements_in_a_list_are_found_by_line_and_column() {
        let document = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\n      \"Effect\": \"Deny\",\n      \"Action\": \"s3:Delete*\",\n      \"Resource\": \"arn:aws:s3:::b/{x}\"\n    }\n  ]\n}";
        assert_eq!(statement_spans(document), vec![(at(4, 5), at(4, 59)), (at(5, 5), at(9, 6))]);
    }

    #[test]
    fn one_statement_braces_in_strings_and_characters_beyond_ascii() {
        let document = r#"{"Id":"ü{[","Statement":{"Effect":"Allow","Action":"a:b","Resource":"}"}}"#;
        assert_eq!(statement_spans(document), vec![(at(1, 25), at(1, 73))]);
        assert_eq!(statement_spans("[]"), vec![]);
    }
}
