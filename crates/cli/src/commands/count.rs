//! `caucus count FILE`: counts a ballot file (BLT or CSV cast vote records) by one of the
//! methods of SPEC 3.10 and prints the result sheet as text, JSON (SPEC 5.4) or HTML.
//! All the counting is in caucus-counting; this module only maps options and prints.

use std::path::PathBuf;

use anyhow::anyhow;
use caucus_counting::{
    count, parse, report, Base, CountOptions, Method, OvervotePolicy, Policies, SkippedPolicy,
    ThresholdSpec,
};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodArg {
    Fptp,
    Block,
    Approval,
    Irv,
    StvScottish,
    StvMeek,
    Threshold,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    Text,
    Json,
    Html,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OvervoteArg {
    /// The ballot stops counting at an overvoted rank.
    Exhaust,
    /// An overvoted rank is passed over.
    SkipRank,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkippedArg {
    /// A skipped rank is passed over.
    Skip,
    /// The ballot stops counting at a skipped rank.
    Exhaust,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseArg {
    /// The valid ballots cast.
    Cast,
    /// The whole roll of eligible voters (give --roll N).
    Roll,
}

#[derive(clap::Args, Debug)]
pub struct CountArgs {
    /// The ballot file: BLT, or CSV cast vote records (wide choice1..choiceN, or long ballot_id,rank,choice).
    pub file: PathBuf,
    /// The counting method.
    #[arg(long, value_enum, default_value_t = MethodArg::StvScottish)]
    pub method: MethodArg,
    /// Seats to fill (default: as the BLT file says, else 1).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub seats: Option<u32>,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// IRV: exclude at once every lowest candidate whose combined votes cannot reach the next.
    #[arg(long)]
    pub batch_elimination: bool,
    /// What an overvoted rank does to a ballot.
    #[arg(long, value_enum, default_value_t = OvervoteArg::Exhaust)]
    pub overvote: OvervoteArg,
    /// What a skipped rank does to a ballot.
    #[arg(long, value_enum, default_value_t = SkippedArg::Skip)]
    pub skipped_rank: SkippedArg,
    /// Seed of the lot for ties the earlier stages cannot break (recorded in the result).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threshold votes: the fraction to reach, e.g. 2/3 or 0.5.
    #[arg(long, required_if_eq("method", "threshold"), value_parser = fraction)]
    pub threshold: Option<(u64, u64)>,
    /// Threshold votes: the fraction is of the ballots cast or of the roll.
    #[arg(long, value_enum, default_value_t = BaseArg::Cast)]
    pub base: BaseArg,
    /// Threshold votes: the size of the roll, with --base roll.
    #[arg(long, required_if_eq("base", "roll"))]
    pub roll: Option<u64>,
    /// Threshold votes: require more than the fraction (>) instead of at least it (>=).
    #[arg(long)]
    pub more_than: bool,
}

fn fraction(s: &str) -> Result<(u64, u64), String> {
    caucus_counting::parse_fraction(s).map_err(|e| e.to_string())
}

pub fn run(args: &CountArgs) -> anyhow::Result<()> {
    let shown = args.file.display();
    let bytes = std::fs::read(&args.file).map_err(|e| anyhow!("cannot read {shown}: {e}"))?;
    let profile = parse::parse(&bytes).map_err(|e| anyhow!("{shown}: {e}"))?;
    let method = match args.method {
        MethodArg::Fptp => Method::Fptp,
        MethodArg::Block => Method::Block,
        MethodArg::Approval => Method::Approval,
        MethodArg::Irv => Method::Irv,
        MethodArg::StvScottish => Method::StvScottish,
        MethodArg::StvMeek => Method::StvMeek,
        MethodArg::Threshold => Method::Threshold,
    };
    if method == Method::Irv && args.seats.is_some_and(|s| s > 1) {
        return Err(anyhow!(
            "irv elects one candidate: use stv-scottish or stv-meek for {} seats",
            args.seats.unwrap_or(1)
        ));
    }
    let mut opts = CountOptions::new(method);
    opts.seats = if method == Method::Irv {
        Some(1)
    } else {
        args.seats
    };
    opts.seed = args.seed;
    opts.batch_elimination = args.batch_elimination;
    opts.policies = Policies {
        overvote: match args.overvote {
            OvervoteArg::Exhaust => OvervotePolicy::Exhaust,
            OvervoteArg::SkipRank => OvervotePolicy::SkipRank,
        },
        skipped: match args.skipped_rank {
            SkippedArg::Skip => SkippedPolicy::Skip,
            SkippedArg::Exhaust => SkippedPolicy::Exhaust,
        },
    };
    if let Some(fraction) = args.threshold {
        let base = match (args.base, args.roll) {
            (BaseArg::Cast, _) => Base::Cast,
            (BaseArg::Roll, Some(n)) => Base::Roll(n),
            (BaseArg::Roll, None) => return Err(anyhow!("--base roll needs --roll N")),
        };
        opts.threshold = Some(ThresholdSpec {
            fraction,
            base,
            strict: args.more_than,
        });
    }
    let result = count(&profile, &opts).map_err(|e| anyhow!("{shown}: {e}"))?;
    let out = match args.format {
        FormatArg::Text => report::text(&result),
        FormatArg::Json => report::json(&result),
        FormatArg::Html => report::html(&result),
    };
    let mut text = out;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    write_out(&mut std::io::stdout().lock(), &text)
        .map_err(|e| anyhow!("cannot write the result: {e}"))
}

/// Writes the result sheet. A reader that stops early (`caucus count ... | head`) closes the pipe:
/// that ends the output, as for any Unix filter, and is not an error (print! panicked on it).
fn write_out(w: &mut impl std::io::Write, text: &str) -> std::io::Result<()> {
    match w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed;
    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_reader_that_stops_early_ends_the_output_and_other_write_errors_are_reported() {
        assert!(write_out(&mut Closed, "round 1\n").is_ok());
        assert!(write_out(&mut Full, "round 1\n").is_err());
        let mut buf = Vec::new();
        write_out(&mut buf, "elected: A\n").expect("a vector takes anything");
        assert_eq!(buf, b"elected: A\n");
    }
}
