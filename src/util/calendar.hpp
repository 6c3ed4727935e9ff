// UTC calendar days as text ("YYYY-MM-DD"): validity, month lengths and day numbers.
#pragma once
#include <string_view>

namespace asg {

// Whether `text` is a real calendar day "YYYY-MM-DD" from 1970 on.
bool valid_utc_day(std::string_view text);
int days_in_month(int year, int month);
// Days since 1970-01-01 of a valid day.
long long day_number(std::string_view day);

}  // namespace asg
