//! Labour groups: the council's executive model kept with the group's unit, the councillors' seats
//! (offices of kind `councillor` in the group's unit) as the register of who the group is on a day,
//! and the members behind the candidates of a ballot that fills an office.
use crate::{on_pool, on_tx, Result, Store, Tx};
use sqlx::Row;
use time::Date;

/// Records (or changes) whether the group's council has the strong-leader model.
pub async fn set_model(
    tx: &mut Tx,
    unit_id: i64,
    strong_leader_model: bool,
    audit_seq: i64,
) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO labour_groups (unit_id, strong_leader_model, audit_seq) VALUES ($1, $2, $3) \
         ON CONFLICT (unit_id) DO UPDATE SET strong_leader_model = excluded.strong_leader_model, \
         audit_seq = excluded.audit_seq"
    )
    .bind(unit_id)
    .bind(strong_leader_model)
    .bind(audit_seq)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Whether the group's council has the strong-leader model; `None` when the group has no record.
pub async fn strong_leader_model(store: &Store, unit_id: i64) -> Result<Option<bool>> {
    on_pool!(store, |c| {
        let r = sqlx::query("SELECT strong_leader_model FROM labour_groups WHERE unit_id = $1")
            .bind(unit_id)
            .fetch_optional(c)
            .await?;
        r.map(|r| r.try_get("strong_leader_model"))
            .transpose()
            .map_err(Into::into)
    })
}

/// The members of the group on a day: those holding a councillor's seat in its unit.
pub async fn members_on(tx: &mut Tx, unit_id: i64, on: Date) -> Result<Vec<i64>> {
    on_tx!(tx, |c| {
        let rows = sqlx::query(
            "SELECT DISTINCT member_id FROM offices WHERE unit_id = $1 AND office = 'councillor' \
             AND held_from <= $2 AND (held_until IS NULL OR held_until > $2) ORDER BY member_id",
        )
        .bind(unit_id)
        .bind(on)
        .fetch_all(c)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("member_id")?)).collect()
    })
}

/// Someone who has held a seat in the group, with what the roll judges them on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seated {
    pub member_id: i64,
    pub membership_number: String,
    pub joined_on: Date,
    pub continuous_since: Date,
    pub paid_up_until: Option<Date>,
    /// Each seat held: from, and until (exclusive) where it has ended.
    pub terms: Vec<(Date, Option<Date>)>,
}

impl Seated {
    pub fn seated_on(&self, on: Date) -> bool {
        self.terms
            .iter()
            .any(|(from, until)| *from <= on && until.is_none_or(|u| on < u))
    }
}

/// Everyone who has ever held a seat in the group, in member order, for judging a roll.
pub async fn ever_seated(store: &Store, unit_id: i64) -> Result<Vec<Seated>> {
    let rows: Vec<(Seated, (Date, Option<Date>))> = on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT m.id, m.membership_number, m.joined_on, m.continuous_since, m.paid_up_until, \
             o.held_from, o.held_until FROM offices o JOIN members m ON m.id = o.member_id \
             WHERE o.unit_id = $1 AND o.office = 'councillor' ORDER BY m.id, o.held_from, o.id",
        )
        .bind(unit_id)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    Seated {
                        member_id: r.try_get("id")?,
                        membership_number: r.try_get("membership_number")?,
                        joined_on: r.try_get("joined_on")?,
                        continuous_since: r.try_get("continuous_since")?,
                        paid_up_until: r.try_get("paid_up_until")?,
                        terms: Vec::new(),
                    },
                    (r.try_get("held_from")?, r.try_get("held_until")?),
                ))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut out: Vec<Seated> = Vec::new();
    for (seated, term) in rows {
        match out.last_mut() {
            Some(last) if last.member_id == seated.member_id => last.terms.push(term),
            _ => out.push(Seated {
                terms: vec![term],
                ..seated
            }),
        }
    }
    Ok(out)
}

/// Ends, on `on`, every term of `office` in the unit that is running then; returns the ended terms'
/// (office id, member id). Terms beginning on or after `on` are not touched.
pub async fn end_terms(
    tx: &mut Tx,
    unit_id: i64,
    office: &str,
    on: Date,
) -> Result<Vec<(i64, i64)>> {
    let running: Vec<(i64, i64)> = on_tx!(tx, |c| {
        let rows = sqlx::query(
            "SELECT id, member_id FROM offices WHERE unit_id = $1 AND office = $2 \
             AND held_from < $3 AND (held_until IS NULL OR held_until > $3) ORDER BY id",
        )
        .bind(unit_id)
        .bind(office)
        .bind(on)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("member_id")?)))
            .collect::<Result<Vec<_>>>()
    })?;
    for (id, _) in &running {
        on_tx!(tx, |c| sqlx::query(
            "UPDATE offices SET held_until = $1 WHERE id = $2"
        )
        .bind(on)
        .bind(*id)
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(running)
}

/// The first day of any term of `office` in the unit that begins on or after `on`.
pub async fn term_starting_from(
    tx: &mut Tx,
    unit_id: i64,
    office: &str,
    on: Date,
) -> Result<Option<Date>> {
    on_tx!(tx, |c| {
        let r = sqlx::query(
            "SELECT held_from FROM offices WHERE unit_id = $1 AND office = $2 AND held_from >= $3 \
             ORDER BY held_from LIMIT 1",
        )
        .bind(unit_id)
        .bind(office)
        .bind(on)
        .fetch_optional(c)
        .await?;
        r.map(|r| r.try_get("held_from"))
            .transpose()
            .map_err(Into::into)
    })
}

/// Records the member behind each candidate (by 1-based position) of a ballot.
pub async fn set_candidate_members(tx: &mut Tx, ballot_id: i64, members: &[i64]) -> Result<()> {
    for (i, member_id) in members.iter().enumerate() {
        on_tx!(tx, |c| {
            sqlx::query(
            "INSERT INTO ballot_candidate_members (ballot_id, position, member_id) VALUES ($1, $2, $3)"
        )
        .bind(ballot_id)
        .bind(i as i64 + 1)
        .bind(*member_id)
        .execute(c)
        .await
        .map(|_| ())
        })?;
    }
    Ok(())
}

/// The member behind the candidate at a 1-based position, if the ballot recorded one.
pub async fn candidate_member(tx: &mut Tx, ballot_id: i64, position: i64) -> Result<Option<i64>> {
    on_tx!(tx, |c| {
        let r = sqlx::query(
            "SELECT member_id FROM ballot_candidate_members WHERE ballot_id = $1 AND position = $2",
        )
        .bind(ballot_id)
        .bind(position)
        .fetch_optional(c)
        .await?;
        r.map(|r| r.try_get("member_id"))
            .transpose()
            .map_err(Into::into)
    })
}
