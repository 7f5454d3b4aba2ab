//! `caucus generate members`: a deterministic synthetic members CSV over real postcodes, for demos,
//! tests and benchmarks, optionally with bad rows planted at known places.
use crate::Context;
use anyhow::Context as _;
use clap::Subcommand;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The L postcode area, shipped with caucus for the demo.
pub const L_AREA: &str = include_str!("../../../../data/geo/postcodes_L_area.csv");

#[derive(Subcommand, Debug)]
pub enum GenerateCommand {
    /// Write a members CSV (SPEC 5.3).
    Members {
        #[arg(long, default_value_t = 20_000)]
        count: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Postcodes to draw from: a CSV whose first column is the postcode (default: the L area).
        #[arg(long)]
        postcodes: Option<PathBuf>,
        /// Plant this many bad rows (unknown postcodes, bad dates, unknown statuses, repeats ...).
        #[arg(long, default_value_t = 0)]
        bad: u64,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(_ctx: &Context, cmd: GenerateCommand) -> anyhow::Result<()> {
    match cmd {
        GenerateCommand::Members {
            count,
            seed,
            postcodes,
            bad,
            out,
        } => {
            let codes = match postcodes {
                Some(p) => postcodes_from(
                    &std::fs::read_to_string(&p)
                        .with_context(|| format!("cannot read {}", p.display()))?,
                ),
                None => postcodes_from(L_AREA),
            };
            anyhow::ensure!(!codes.is_empty(), "no postcodes to draw from");
            match out {
                Some(path) => write_members(&path, count, seed, &codes, bad)?,
                None => {
                    let stdout = std::io::stdout();
                    members_csv(&mut stdout.lock(), count, seed, &codes, bad)?;
                }
            }
            Ok(())
        }
    }
}

/// The first column of a CSV with a header: the postcodes.
pub fn postcodes_from(text: &str) -> Vec<String> {
    text.lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn write_members(
    path: &Path,
    count: u64,
    seed: u64,
    postcodes: &[String],
    bad: u64,
) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    members_csv(&mut w, count, seed, postcodes, bad)?;
    w.flush()?;
    Ok(())
}

const GIVEN: &[&str] = &[
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Sophia", "Lily", "Freya", "Emily", "Aisha",
    "Fatima", "Zara", "Niamh", "Siobhan", "Megan", "Chloe", "Ruby", "Priya", "Joan", "Margaret",
    "Patricia", "Noah", "Oliver", "George", "Arthur", "Leo", "Harry", "Muhammad", "Jack",
    "Charlie", "Thomas", "James", "Daniel", "Kwame", "Tariq", "Sean", "Declan", "Michael", "David",
    "John", "Peter", "Ibrahim", "Wei", "Tomasz",
];
/// How many of `GIVEN`, from the start, are conventionally women's names.
const WOMENS_NAMES: usize = 22;

/// Whether a generated member's given name is a woman's (the demo's officers give their gender by
/// it).
pub fn is_womans_name(given: &str) -> bool {
    GIVEN[..WOMENS_NAMES].contains(&given)
}

const FAMILY: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Murphy",
    "Kelly",
    "O'Brien",
    "Byrne",
    "McCartney",
    "Khan",
    "Ali",
    "Hussain",
    "Begum",
    "Nowak",
    "Okafor",
];
const STREETS: &[&str] = &[
    "Lark Lane",
    "Smithdown Road",
    "Allerton Road",
    "Bold Street",
    "Lodge Lane",
    "Park Road",
    "Queens Drive",
    "Rice Lane",
    "County Road",
    "Breck Road",
    "Aigburth Road",
    "Menlove Avenue",
    "Prescot Road",
    "Walton Road",
    "Mather Avenue",
    "Booker Avenue",
    "Picton Road",
    "Wavertree High Street",
    "Dale Street",
    "Duke Street",
];
const UNIONS: &[&str] = &[
    "Unison",
    "Unite",
    "GMB",
    "CWU",
    "USDAW",
    "NEU",
    "FBU",
    "Musicians' Union",
];

fn pick<'a>(rng: &mut StdRng, xs: &'a [&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

fn date(days_since_epoch: i64) -> String {
    let d =
        time::Date::from_julian_day(2_440_588 + days_since_epoch as i32).unwrap_or(time::Date::MIN);
    d.to_string()
}

fn days(y: i32, m: u8, d: u8) -> i64 {
    let month = time::Month::try_from(m).unwrap_or(time::Month::January);
    time::Date::from_calendar_date(y, month, d)
        .map(|d| d.to_julian_day() as i64 - 2_440_588)
        .unwrap_or(0)
}

/// Writes `count` members (plus `bad` planted bad rows spread through the file).
pub fn members_csv(
    w: &mut dyn Write,
    count: u64,
    seed: u64,
    postcodes: &[String],
    bad: u64,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    writeln!(
        w,
        "membership_number,given_name,family_name,email,phone,date_of_birth,address_line1,address_line2,town,postcode,\
         joined_on,status,rate,payment_method,paid_up_until,registered_to_vote,trade_union"
    )?;
    let total = count + bad;
    // Bad rows are spread evenly through the file.
    let every = total.checked_div(bad).map_or(u64::MAX, |n| n.max(1));
    let mut planted = 0u64;
    let today = days(2026, 11, 1);
    for i in 0..total {
        let number = format!("L{:07}", i + 1);
        let given = pick(&mut rng, GIVEN);
        let family = pick(&mut rng, FAMILY);
        let postcode = &postcodes[rng.random_range(0..postcodes.len())];
        let age_days = rng.random_range(15 * 365..90 * 365);
        let dob = today - age_days;
        let joined = (dob + 14 * 366).max(days(1975, 1, 1))
            + rng.random_range(0..(today - (dob + 14 * 366).max(days(1975, 1, 1))).max(1));
        let joined = joined.min(today);
        let roll: u32 = rng.random_range(0..1000);
        let recent = today - joined < 56;
        let status = match roll {
            _ if recent => "provisional",
            0..=689 => "active",
            690..=769 => "in_arrears",
            770..=869 => "lapsed",
            870..=889 => "suspended",
            890..=939 => "resigned",
            940..=949 => "expelled",
            950..=959 => "excluded",
            960..=989 => "deceased",
            _ => "provisional",
        };
        let age = (today - dob) / 365;
        let (rate, method) = match (age, rng.random_range(0..100)) {
            (14..=19, _) => ("youth", "card"),
            (20..=26, _) => ("young", "direct_debit"),
            (_, 0..=14) => ("reduced", "direct_debit"),
            (_, 15..=24) => ("trade_union", "direct_debit"),
            (_, 25) => ("armed_forces", "cheque"),
            (_, 26..=30) => ("standard", "card"),
            _ => ("standard", "direct_debit"),
        };
        let paid = match status {
            "active" | "provisional" | "suspended" => today + rng.random_range(1..365),
            "in_arrears" => today - rng.random_range(1..170),
            _ => joined + rng.random_range(30..(today - joined).max(31)),
        };
        let union = if rate == "trade_union" {
            pick(&mut rng, UNIONS)
        } else {
            ""
        };
        let registered = if rng.random_range(0..100) < 93 {
            "true"
        } else {
            "false"
        };
        let mut fields: Vec<String> = vec![
            number,
            given.to_string(),
            family.to_string(),
            format!(
                "{}.{}{}@example.org",
                given.to_lowercase(),
                family.to_lowercase().replace('\'', ""),
                i + 1
            ),
            format!("07{:09}", rng.random_range(0..1_000_000_000u64)),
            date(dob),
            format!("{} {}", rng.random_range(1..300), pick(&mut rng, STREETS)),
            String::new(),
            "Liverpool".to_string(),
            postcode.clone(),
            date(joined),
            status.to_string(),
            rate.to_string(),
            method.to_string(),
            date(paid),
            registered.to_string(),
            union.to_string(),
        ];
        if bad > 0 && planted < bad && i % every == every - 1 {
            match planted % 7 {
                0 => fields[9] = "L99 9ZZ".into(),
                1 => fields[9] = "NOT A PC".into(),
                2 => fields[10] = "2020-13-45".into(),
                3 => fields[11] = "zombie".into(),
                4 => fields[12] = "platinum".into(),
                5 => fields[0] = "L0000001".into(),
                _ => fields[1] = String::new(),
            }
            planted += 1;
        }
        let mut rec = caucus_app::csv_out::Writer::from_writer(Vec::new());
        rec.write_record(&fields)?;
        w.write_all(&rec.into_inner()?)?;
    }
    Ok(())
}
