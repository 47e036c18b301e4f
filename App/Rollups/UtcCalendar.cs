namespace Dashboard.Rollups;

/// <summary>
/// UTC days and ISO weeks as Unix-millisecond arithmetic, so the SQL that buckets events needs only
/// integer division (the same in SQLite and PostgreSQL). 1970-01-01 was a Thursday, so shifting by
/// three days makes week index 0 start on Monday 1969-12-29.
/// </summary>
public static class UtcCalendar
{
    public const long DayMs = 86_400_000L;
    public const long WeekMs = 7 * DayMs;
    public const long WeekShiftMs = 3 * DayMs;

    public static long StartMs(DateOnly day) =>
        new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();

    /// <summary>The first millisecond after the inclusive day <paramref name="day"/>.</summary>
    public static long EndMs(DateOnly day) => StartMs(day) + DayMs;

    /// <summary>Days since 1970-01-01: the day number the rollups store.</summary>
    public static long DayIndex(DateOnly day) => StartMs(day) / DayMs;

    public static DateOnly Day(long ms) => DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime);

    /// <summary>The Monday that starts the ISO week holding <paramref name="day"/>.</summary>
    public static DateOnly WeekStart(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    public static long WeekIndex(long ms) => (ms + WeekShiftMs) / WeekMs;

    public static long WeekIndex(DateOnly day) => WeekIndex(StartMs(day));

    public static DateOnly WeekStartOfIndex(long index) => Day(index * WeekMs - WeekShiftMs);

    /// <summary>The ISO week index of a day number (<see cref="DayIndex"/>), the same week as <see cref="WeekIndex(long)"/>.</summary>
    public static long WeekIndexOfDay(long day) => (day + 3) / 7;

    /// <summary>The SQL of <see cref="WeekIndexOfDay"/> over an integer day expression.</summary>
    public static string WeekIndexOfDaySql(string day) => $"({day} + 3) / 7";

    /// <summary>The SQL of the day number of the Monday that starts a week, from its index.</summary>
    public static string WeekStartDaySql(string week) => $"{week} * 7 - 3";
}
