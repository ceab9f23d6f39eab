//! Time as Quire stores it: microseconds since the Unix epoch, UTC.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Microseconds since the Unix epoch.
pub type Micros = i64;

pub fn now() -> Micros {
    to_micros(OffsetDateTime::now_utc())
}

pub fn to_micros(t: OffsetDateTime) -> Micros {
    // i128 → i64 cannot overflow for any date `time` can represent before year 294,000.
    (t.unix_timestamp_nanos() / 1_000) as i64
}

/// RFC 3339 with millisecond precision and a `Z`, the one shape every timestamp
/// leaves Quire in.
pub fn format(micros: Micros) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format_datetime(t)
}

pub fn format_datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let year = match u16::try_from(t.year()) {
        Ok(year) if year <= 9999 => year,
        _ => {
            return format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.millisecond()
            );
        }
    };
    // Written digit by digit: public pages show three timestamps an entry,
    // and `format!` made them a few percent of an uncached page.
    let mut out = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, u32::from(year));
    put(5, 2, u32::from(u8::from(t.month())));
    put(8, 2, u32::from(t.day()));
    put(11, 2, u32::from(t.hour()));
    put(14, 2, u32::from(t.minute()));
    put(17, 2, u32::from(t.second()));
    put(20, 3, u32::from(t.millisecond()));
    out.iter().map(|&b| char::from(b)).collect()
}

/// The time scheduled actions are measured against: real time, moved
/// forward by an offset that only tests set (clones share it), so that a
/// test can reach a publish time without waiting for it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> Micros {
        now() + self.offset.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves this clock (and every clone) forward.
    pub fn advance(&self, by: std::time::Duration) {
        let by = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        self.offset
            .fetch_add(by, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Parses an RFC 3339 timestamp into microseconds.
pub fn parse(s: &str) -> Option<Micros> {
    OffsetDateTime::parse(s, &Rfc3339).ok().map(to_micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_millisecond_precision() {
        let m = parse("2026-03-04T05:06:07.891+02:00").unwrap();
        assert_eq!(format(m), "2026-03-04T03:06:07.891Z");
    }

    #[test]
    fn pads_every_part_and_spells_years_outside_four_digits_as_before() {
        assert_eq!(format(0), "1970-01-01T00:00:00.000Z");
        let m = parse("0042-01-02T03:04:05.006Z").unwrap();
        assert_eq!(format(m), "0042-01-02T03:04:05.006Z");
        let t = OffsetDateTime::UNIX_EPOCH.replace_year(-12).unwrap();
        assert_eq!(format_datetime(t), "-012-01-01T00:00:00.000Z");
    }
}
