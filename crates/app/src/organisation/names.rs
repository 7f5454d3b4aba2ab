//! Names of wards, authorities, constituencies, regions and countries, from the public lists shipped in
//! `data/geo` (ONSPD itself carries codes only).
use std::collections::HashMap;
use std::sync::OnceLock;

const CONSTITUENCIES_2024: &str = include_str!("../../../../data/geo/uk_constituencies_2024.csv");
const CONSTITUENCIES_2010: &str =
    include_str!("../../../../data/geo/uk_constituencies_2010set.csv");
const REGIONS: &str = include_str!("../../../../data/geo/regions_and_countries.csv");
const WARDS: &str = include_str!("../../../../data/geo/liverpool_wards_2023.csv");

/// Which constituency list a boundary set's codes come from (five Scottish codes appear in both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstituencyList {
    Set2010,
    Set2024,
}

#[derive(Default)]
pub struct Names {
    pcon2024: HashMap<String, (String, Option<String>)>,
    pcon2010: HashMap<String, (String, Option<String>)>,
    areas: HashMap<String, String>,
}

fn read(text: &str, mut each: impl FnMut(&csv::StringRecord, &csv::StringRecord)) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().cloned().unwrap_or_default();
    for rec in r.records().flatten() {
        each(&headers, &rec);
    }
}

fn field<'a>(
    headers: &csv::StringRecord,
    rec: &'a csv::StringRecord,
    name: &str,
) -> Option<&'a str> {
    headers
        .iter()
        .position(|h| h == name)
        .and_then(|i| rec.get(i))
        .filter(|s| !s.is_empty())
}

pub fn names() -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut n = Names::default();
        read(CONSTITUENCIES_2024, |h, r| {
            if let (Some(c), Some(name)) = (field(h, r, "pcon24cd"), field(h, r, "pcon24nm")) {
                n.pcon2024.insert(
                    c.into(),
                    (name.into(), field(h, r, "rgn_code").map(Into::into)),
                );
            }
        });
        read(CONSTITUENCIES_2010, |h, r| {
            if let (Some(c), Some(name)) = (field(h, r, "pcon_code"), field(h, r, "pcon_name")) {
                n.pcon2010.insert(
                    c.into(),
                    (name.into(), field(h, r, "rgn_code").map(Into::into)),
                );
            }
        });
        read(REGIONS, |h, r| {
            if let (Some(c), Some(name)) = (field(h, r, "code"), field(h, r, "name")) {
                n.areas.insert(c.into(), name.into());
            }
        });
        read(WARDS, |h, r| {
            if let (Some(c), Some(name)) = (field(h, r, "wd_code"), field(h, r, "wd_name")) {
                n.areas.insert(c.into(), name.into());
            }
            if let (Some(c), Some(name)) = (field(h, r, "lad_code"), field(h, r, "lad_name")) {
                n.areas.insert(c.into(), name.into());
            }
        });
        n
    })
}

impl Names {
    /// A constituency's name and region, looked up in the preferred list first.
    pub fn constituency(
        &self,
        code: &str,
        prefer: ConstituencyList,
    ) -> Option<(&str, Option<&str>)> {
        let (first, second) = match prefer {
            ConstituencyList::Set2024 => (&self.pcon2024, &self.pcon2010),
            ConstituencyList::Set2010 => (&self.pcon2010, &self.pcon2024),
        };
        first
            .get(code)
            .or_else(|| second.get(code))
            .map(|(n, r)| (n.as_str(), r.as_deref()))
    }

    /// A ward's, authority's, region's or country's name.
    pub fn area(&self, code: &str) -> Option<&str> {
        self.areas.get(code).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_lists_name_constituencies_regions_and_wards() {
        let n = names();
        assert_eq!(
            n.constituency("E14001337", ConstituencyList::Set2024)
                .unwrap()
                .0,
            "Liverpool Garston"
        );
        assert_eq!(
            n.constituency("E14000708", ConstituencyList::Set2010)
                .unwrap()
                .0,
            "Garston and Halewood"
        );
        assert_eq!(n.area("E12000002"), Some("North West"));
        assert_eq!(n.area("E05015277"), Some("Aigburth"));
        assert_eq!(n.area("E08000012"), Some("Liverpool"));
    }
}
