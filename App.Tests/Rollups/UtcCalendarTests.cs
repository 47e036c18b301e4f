using Dashboard.Rollups;

namespace Dashboard.Tests.Rollups;

public sealed class UtcCalendarTests
{
    [Theory]
    [InlineData("2026-03-08", "2026-03-02")] // Sunday ends the ISO week
    [InlineData("2026-03-09", "2026-03-09")] // Monday starts one
    [InlineData("2027-01-01", "2026-12-28")] // a week across the new year
    [InlineData("1970-01-01", "1969-12-29")] // the epoch was a Thursday
    public void WeekStart_Day_IsItsMonday(string day, string monday)
    {
        var d = DateOnly.Parse(day);

        Assert.Equal(DateOnly.Parse(monday), UtcCalendar.WeekStart(d));
        Assert.Equal(DateOnly.Parse(monday), UtcCalendar.WeekStartOfIndex(UtcCalendar.WeekIndex(d)));
    }

    [Fact]
    public void WeekIndex_TwoYearsOfDays_AgreesWithWeekStartAndTurnsAtMondayMidnight()
    {
        var sundayLast = UtcCalendar.EndMs(DateOnly.Parse("2026-03-08")) - 1;

        Assert.Equal(UtcCalendar.WeekIndex(sundayLast) + 1, UtcCalendar.WeekIndex(sundayLast + 1));
        for (var d = DateOnly.Parse("2025-01-01"); d < DateOnly.Parse("2027-01-01"); d = d.AddDays(1))
            Assert.Equal(UtcCalendar.WeekStart(d), UtcCalendar.WeekStartOfIndex(UtcCalendar.WeekIndex(d)));
    }

    [Fact]
    public void WeekIndexOfDay_TwoYearsOfDays_AgreesWithWeekIndex()
    {
        for (var d = DateOnly.Parse("2025-01-01"); d < DateOnly.Parse("2027-01-01"); d = d.AddDays(1))
            Assert.Equal(UtcCalendar.WeekIndex(d), UtcCalendar.WeekIndexOfDay(UtcCalendar.DayIndex(d)));
    }
}
