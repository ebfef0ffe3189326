//! Statements whose text is built once and bound anew at each use.

use sea_orm::{DbBackend, DbErr, Statement};

/// A statement whose text sea-query builds once per backend and which each use binds anew.
/// Building and dropping the statement tree was a tenth of the CPU time of the hot read
/// (docs/benchmarks.md, "Request path"); its text never changes, only its values. `build` is
/// given marker ids, and each value of the built statement equal to a marker becomes that
/// parameter; every other value is kept as built.
pub struct Reused<const N: usize> {
    build: fn(DbBackend, [uuid::Uuid; N]) -> Statement,
    texts: [std::sync::OnceLock<Result<Text, String>>; 3],
}

/// A [`Reused`] statement's text and where each of its values comes from.
type Text = (String, Vec<Slot>);

/// Where a value of a [`Reused`] statement comes from.
enum Slot {
    Param(usize),
    Fixed(sea_orm::Value),
}

impl<const N: usize> Reused<N> {
    pub const fn new(build: fn(DbBackend, [uuid::Uuid; N]) -> Statement) -> Self {
        Reused {
            build,
            texts: [const { std::sync::OnceLock::new() }; 3],
        }
    }

    /// The statement with `params` in place of the markers.
    pub fn statement(
        &self,
        backend: DbBackend,
        params: [uuid::Uuid; N],
    ) -> Result<Statement, DbErr> {
        let slot = match backend {
            DbBackend::Sqlite => 0,
            DbBackend::Postgres => 1,
            _ => 2,
        };
        let (sql, slots) = self.texts[slot]
            .get_or_init(|| self.text(backend))
            .as_ref()
            .map_err(|e| DbErr::Custom(e.clone()))?;
        let values = slots.iter().map(|s| match s {
            Slot::Param(i) => params[*i].into(),
            Slot::Fixed(v) => v.clone(),
        });
        Ok(Statement::from_sql_and_values(
            backend,
            sql.as_str(),
            values,
        ))
    }

    fn text(&self, backend: DbBackend) -> Result<Text, String> {
        // Ids no record has: the version and variant bits of a random id are never all zero.
        let markers: [uuid::Uuid; N] =
            std::array::from_fn(|i| uuid::Uuid::from_u128(0x6f63_6f70_0000_0000 + i as u128));
        let built = (self.build)(backend, markers);
        let slots: Vec<Slot> = built
            .values
            .map(|v| v.0)
            .unwrap_or_default()
            .into_iter()
            .map(|v| match v {
                sea_orm::Value::Uuid(Some(u)) if markers.contains(&u) => {
                    Slot::Param(markers.iter().position(|m| *m == u).unwrap_or_default())
                }
                other => Slot::Fixed(other),
            })
            .collect();
        // A marker written into the text instead of bound would be read back as itself.
        for (i, m) in markers.iter().enumerate() {
            let bound = slots.iter().any(|s| matches!(s, Slot::Param(j) if *j == i));
            if !bound
                || built.sql.contains(&m.to_string())
                || built.sql.contains(&m.simple().to_string())
            {
                return Err(format!(
                    "parameter {i} of a reused statement is not bound: {}",
                    built.sql
                ));
            }
        }
        Ok((built.sql, slots))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(backend: DbBackend, [a, b]: [uuid::Uuid; 2]) -> Statement {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        let q = Query::select()
            .expr(Expr::val(7))
            .from(Alias::new("t"))
            .and_where(Expr::col(Alias::new("b")).eq(b))
            .and_where(Expr::col(Alias::new("a")).eq(a))
            .and_where(Expr::col(Alias::new("c")).eq(b))
            .to_owned();
        backend.build(&q)
    }

    #[test]
    fn a_reused_statement_binds_each_use_its_own_values_where_the_markers_were() {
        static PAIR: Reused<2> = Reused::new(pair);
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            for n in 1..=2u128 {
                let (a, b) = (uuid::Uuid::from_u128(n), uuid::Uuid::from_u128(100 + n));
                let reused = PAIR.statement(backend, [a, b]).unwrap();
                assert_eq!(reused, pair(backend, [a, b]), "{backend:?}");
                assert_eq!(
                    reused.values.unwrap().0,
                    vec![7.into(), b.into(), a.into(), b.into()]
                );
            }
        }
    }

    #[test]
    fn a_reused_statement_refuses_a_parameter_written_into_its_text_or_left_out() {
        fn inline(backend: DbBackend, [a]: [uuid::Uuid; 1]) -> Statement {
            Statement::from_sql_and_values(backend, format!("SELECT '{a}' WHERE x = ?"), [a.into()])
        }
        fn unused(backend: DbBackend, [_]: [uuid::Uuid; 1]) -> Statement {
            Statement::from_sql_and_values(backend, "SELECT ?", [1.into()])
        }
        for build in [inline as fn(_, _) -> _, unused] {
            let reused = Reused::new(build);
            let Err(DbErr::Custom(e)) = reused.statement(DbBackend::Sqlite, [uuid::Uuid::nil()])
            else {
                panic!("accepted");
            };
            assert!(e.contains("is not bound"), "{e}");
        }
    }
}
