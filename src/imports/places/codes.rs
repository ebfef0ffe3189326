//! A commune named by its official code, and the province or district written beside it.

use uuid::Uuid;

use super::{Column, Names, Place, Resolver, bare};
use crate::i18n::Msg;
use crate::msg;
use crate::unit_graph::valid_on;

impl Resolver<'_> {
    /// A commune by its official code: the versions bearing it (and the row's name, when the
    /// row gives one that fits), the one valid on the list's date first.
    pub(super) fn by_code(&self, code: &str, names: &Names<'_>) -> Result<Place, (Column, Msg)> {
        let code = code.trim();
        // A code typed as a number lost its leading zeros (`5788` for 05788): communes' codes
        // have five digits.
        let padded = format!("{code:0>5}");
        let code = if code.len() < 5 && code.bytes().all(|b| b.is_ascii_digit()) {
            padded.as_str()
        } else {
            code
        };
        let versions = self.by_code.get(code).cloned().unwrap_or_default();
        if versions.is_empty() {
            // A commune of that code outside the importer's unit is named as such.
            // (the version valid on the list's date first, else the latest: codes are reused)
            let elsewhere = self
                .graph
                .communes()
                .filter_map(|id| self.graph.get(id))
                .filter(|u| u.code == code)
                .max_by_key(|u| (valid_on(u, self.on), u.valid_from))
                .map(|u| u.id);
            return Err((
                Column::CommuneCode,
                match elsewhere {
                    Some(id) => msg!(
                        "import-place-code-outside",
                        code = code,
                        unit = self.label(id)
                    ),
                    None => msg!("import-place-code", code = code),
                },
            ));
        }
        let Some(name) = names.commune else {
            let place = self.commune_on_date(versions.clone(), code, Column::CommuneCode)?;
            return self.beside_code(code, &versions, place, names);
        };
        let fitting: Vec<Uuid> = versions
            .iter()
            .copied()
            .filter(|id| {
                self.graph
                    .get(*id)
                    .is_some_and(|u| bare(&u.name) == bare(name))
            })
            .collect();
        if fitting.is_empty() {
            let mut known: Vec<String> = versions.iter().map(|id| self.label(*id)).collect();
            known.dedup();
            return Err((
                Column::Commune,
                msg!(
                    "import-place-code-name",
                    code = code,
                    name = name,
                    known = known.join("; ")
                ),
            ));
        }
        let place = self.commune_on_date(fitting, name, Column::Commune)?;
        self.beside_code(code, &versions, place, names)
    }

    /// A province or district written beside a commune code must be one the commune lies in
    /// on the list's date or lay in before (a list keeps the old province's name, or writes
    /// today's beside an old code): a row copied from another place keeps the other place's
    /// code more often than not, and which of the two the person meant is theirs to say.
    fn beside_code(
        &self,
        code: &str,
        versions: &[Uuid],
        place: Place,
        names: &Names<'_>,
    ) -> Result<Place, (Column, Msg)> {
        let placed = place.commune.unwrap_or(place.unit);
        for (given, column) in [
            (names.province, Column::Province),
            (names.district, Column::District),
        ] {
            let Some(given) = given.filter(|g| !g.trim().is_empty()) else {
                continue;
            };
            let lies_in = versions
                .iter()
                .chain([&placed])
                .any(|v| self.graph.within(*v).iter().any(|a| bare(a) == bare(given)));
            if !lies_in {
                return Err((
                    column,
                    msg!(
                        "import-place-code-within",
                        code = code,
                        unit = self.label(placed),
                        name = given
                    ),
                ));
            }
        }
        Ok(place)
    }
}
