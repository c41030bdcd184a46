"""What LINE estimates about its users (gender, age, area, app, how long they have been a friend), in the
words of the insight answers and of narrowcast's demographic filters, and LINE's days in JST."""

from __future__ import annotations

import datetime as dt

from linemod.emulator.errors import LineApiError

GENDERS = ("male", "female")
APP_TYPES = ("ios", "android")
JST = dt.timezone(dt.timedelta(hours=9))
DAY_MS = 86_400_000

# Narrowcast's area codes for Japan (jp_01 ... jp_47) and the names the insight answers use for them.
PREFECTURES = (
    "北海道", "青森", "岩手", "宮城", "秋田", "山形", "福島", "茨城", "栃木", "群馬", "埼玉", "千葉", "東京", "神奈川",
    "新潟", "富山", "石川", "福井", "山梨", "長野", "岐阜", "静岡", "愛知", "三重", "滋賀", "京都", "大阪", "兵庫",
    "奈良", "和歌山", "鳥取", "島根", "岡山", "広島", "山口", "徳島", "香川", "愛媛", "高知", "福岡", "佐賀", "長崎",
    "熊本", "大分", "宮崎", "鹿児島", "沖縄",
)
AREA_NAMES = {f"jp_{index:02d}": name for index, name in enumerate(PREFECTURES, start=1)}

# Insight's age bands: (lowest age, label), highest first. LINE's answer also has 5-year bands above 50;
# the emulator answers with `from50` for them all, as LINE's own example does.
AGE_BANDS = ((50, "from50"), (45, "from45to49"), (40, "from40to44"), (35, "from35to39"), (30, "from30to34"),
             (25, "from25to29"), (20, "from20to24"), (15, "from15to19"), (0, "from0to14"))
# Narrowcast's age filter values: age_15 ... age_70, each the lower bound of a band.
FILTER_AGES = {f"age_{n}": n for n in (15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70)}
# Narrowcast's subscriptionPeriod values and insight's: (days, name), shortest first.
PERIODS = ((7, "day_7"), (30, "day_30"), (90, "day_90"), (180, "day_180"), (365, "day_365"))
INSIGHT_PERIODS = ((7, "within7days"), (30, "within30days"), (90, "within90days"), (180, "within180days"),
                   (365, "within365days"))


def age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    return next(label for lowest, label in AGE_BANDS if age >= lowest)


def friend_days(since_ms: int, now_ms: int) -> float:
    return (now_ms - since_ms) / DAY_MS


def insight_period(since_ms: int, now_ms: int) -> str:
    days = friend_days(since_ms, now_ms)
    return next((name for limit, name in INSIGHT_PERIODS if days < limit), "over365days")


def jst_day(ms: int) -> str:
    """The yyyyMMdd (UTC+9) day a moment falls on: LINE counts days in Japan's time."""
    return dt.datetime.fromtimestamp(ms / 1000, JST).strftime("%Y%m%d")


def parse_day(value: str | None, prop: str) -> dt.date:
    """A `yyyyMMdd` query parameter, or LINE's 400 naming it."""
    if value is None or len(value) != 8 or not value.isdigit():
        raise LineApiError(400, "The request body has 1 error(s)",
                           extra={"details": [{"message": "must match \"^[0-9]{8}$\"", "property": prop}]})
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise LineApiError(400, f"Invalid {prop}: {value}") from None


def day_end_ms(day: dt.date) -> int:
    """The last millisecond of `day` in JST."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=JST)
    return int(start.timestamp() * 1000) + DAY_MS - 1


def today_jst(now_ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(now_ms / 1000, JST).date()
