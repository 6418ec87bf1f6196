//! A CSV reader fed a file piece by piece (RFC 4180: quoted fields with commas, doubled quotes and
//! line breaks; CRLF or LF), so an import never holds more of the file than one piece.

/// A row, with the line it started on (1 for the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub line: u64,
    pub fields: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct CsvReader {
    field: Vec<u8>,
    fields: Vec<String>,
    in_quotes: bool,
    /// A quote seen inside quotes: the field's end, or the first of a doubled quote.
    quote_pending: bool,
    /// The field began with a quote (so an empty field is still a field).
    quoted: bool,
    line: u64,
    row_line: u64,
    after_cr: bool,
}

impl CsvReader {
    pub(crate) fn new() -> Self {
        CsvReader { line: 1, row_line: 1, ..Default::default() }
    }

    /// Reads `piece`, answering the rows it completes.
    pub(crate) fn feed(&mut self, piece: &[u8]) -> Vec<Row> {
        let mut rows = Vec::new();
        for &byte in piece {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            if self.in_quotes {
                if self.quote_pending {
                    self.quote_pending = false;
                    if byte == b'"' {
                        self.field.push(b'"');
                        continue;
                    }
                    self.in_quotes = false;
                } else {
                    if byte == b'"' {
                        self.quote_pending = true;
                    } else {
                        if byte == b'\n' {
                            self.line += 1;
                        }
                        self.field.push(byte);
                    }
                    continue;
                }
            }
            match byte {
                b'"' if self.field.is_empty() && !self.quoted => {
                    self.in_quotes = true;
                    self.quoted = true;
                }
                b',' => self.end_field(),
                b'\r' | b'\n' => {
                    self.after_cr = byte == b'\r';
                    self.line += 1;
                    if let Some(row) = self.end_row() {
                        rows.push(row);
                    }
                }
                other => self.field.push(other),
            }
        }
        rows
    }

    /// The last row, when the file does not end with a line break.
    pub(crate) fn finish(&mut self) -> Option<Row> {
        if self.in_quotes && self.quote_pending {
            self.in_quotes = false;
            self.quote_pending = false;
        }
        self.end_row()
    }

    fn end_field(&mut self) {
        let text = String::from_utf8_lossy(&self.field).into_owned();
        self.fields.push(text);
        self.field.clear();
        self.quoted = false;
    }

    fn end_row(&mut self) -> Option<Row> {
        let blank = self.fields.is_empty() && self.field.is_empty() && !self.quoted;
        let row = if blank {
            None
        } else {
            self.end_field();
            Some(Row { line: self.row_line, fields: std::mem::take(&mut self.fields) })
        };
        self.row_line = self.line;
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pieces: &[&str]) -> Vec<Row> {
        let mut reader = CsvReader::new();
        let mut rows: Vec<Row> = pieces.iter().flat_map(|piece| reader.feed(piece.as_bytes())).collect();
        rows.extend(reader.finish());
        rows
    }

    #[test]
    fn rows_are_read_across_pieces() {
        let whole = read(&["a,b,c\r\n1,\"x, \"\"y\"\"\",\n\n2,\"two\nlines\",z"]);
        let split = read(&["a,b", ",c\r", "\n1,\"x, \"", "\"y\"", "\"\",\n\n2,\"two\nli", "nes\",z"]);
        assert_eq!(whole, split);
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[0].fields, ["a", "b", "c"]);
        assert_eq!(whole[1], Row { line: 2, fields: vec!["1".into(), "x, \"y\"".into(), "".into()] });
        assert_eq!(whole[2], Row { line: 4, fields: vec!["2".into(), "two\nlines".into(), "z".into()] });
    }

    #[test]
    fn an_empty_quoted_field_is_a_field() {
        assert_eq!(read(&["\"\"\n"])[0].fields, [""]);
        assert!(read(&["\n\r\n"]).is_empty());
    }
}
