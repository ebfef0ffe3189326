//! SQL text written by hand where a rule reads clearest as SQL (the indicator rules, the
//! histories): fragments bind their values as they are written and are placed in any order.

use sea_orm::{DbBackend, Statement, Value};

/// SQL text with its bound values, numbering markers for the backend.
#[derive(Debug)]
pub struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// Empty statement for a backend.
    pub fn new(backend: DbBackend) -> Self {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// Binds a value and returns its numbered marker (`$n` on PostgreSQL, `?n` on SQLite):
    /// fragments are bound in one order and placed in the text in another.
    pub fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }

    /// Binds a list and returns `m1, m2, …` (the list must not be empty).
    pub fn bind_list<V: Into<Value>>(&mut self, items: impl IntoIterator<Item = V>) -> String {
        items
            .into_iter()
            .map(|v| self.bind(v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Appends text.
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// The statement.
    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}
