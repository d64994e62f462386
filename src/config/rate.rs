//! Rate settings as configured: `100/minute`, `20/second`, or `off`. Only parsing and
//! display; the limiter that applies them is `auth::rate_limit`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A rate as configured: `100/minute`, `10/second`, `5000/hour` (also `/s`, `/m`, `/h`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateSpec {
    pub count: u32,
    pub per: Duration,
}

impl RateSpec {
    /// Tokens per second.
    pub fn per_second(self) -> f64 {
        f64::from(self.count) / self.per.as_secs_f64()
    }
}

impl FromStr for RateSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid rate '{s}': expected N/second, N/minute or N/hour, e.g. 100/minute");
        let (count, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" | "seconds" => Duration::from_secs(1),
            "m" | "min" | "minute" | "minutes" => Duration::from_secs(60),
            "h" | "hour" | "hours" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err(format!("invalid rate '{s}': the count must be at least 1 (leave the setting unset to turn limiting off)"));
        }
        Ok(RateSpec { count, per })
    }
}

impl fmt::Display for RateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "second",
            60 => "minute",
            _ => "hour",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// The request rate limit setting: a [`RateSpec`], or `off`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitSetting(pub Option<RateSpec>);

impl FromStr for RateLimitSetting {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "off" | "none" | "0" => Ok(RateLimitSetting(None)),
            _ => s.parse().map(|spec| RateLimitSetting(Some(spec))),
        }
    }
}
