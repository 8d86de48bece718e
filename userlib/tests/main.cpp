// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_userlib_test - the C++ library's GoogleTest suite, against the
 * real module.
 *
 * It speaks TAP, as the kselftests do, so that the selftest runner counts
 * it: "TAP version 13", the plan "1..N" (N = the tests to run), then
 * "ok K Suite.Name" or "not ok K Suite.Name" per test, with the failures'
 * messages as "# " comments.  A skipped test is reported "# SKIP" and
 * counts as a failure of the program: it exits 0 only when every test ran
 * and passed.
 */
#include <cstdio>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace {

class tap_printer : public ::testing::EmptyTestEventListener {
public:
	void OnTestIterationStart(const ::testing::UnitTest &unit, int) override
	{
		std::printf("TAP version 13\n1..%d\n", unit.test_to_run_count());
		std::fflush(stdout);
	}

	void OnTestPartResult(const ::testing::TestPartResult &result) override
	{
		if (!result.failed())
			return;
		std::printf("# %s:%d: failure\n",
			    result.file_name() ? result.file_name() : "?",
			    result.line_number());
		std::istringstream lines(result.message());
		for (std::string line; std::getline(lines, line);)
			std::printf("#   %s\n", line.c_str());
		std::fflush(stdout);
	}

	void OnTestEnd(const ::testing::TestInfo &info) override
	{
		const ::testing::TestResult *r = info.result();

		number_++;
		if (r->Skipped())
			std::printf("ok %d %s.%s # SKIP\n", number_,
				    info.test_suite_name(), info.name());
		else
			std::printf("%sok %d %s.%s\n", r->Passed() ? "" : "not ",
				    number_, info.test_suite_name(), info.name());
		std::fflush(stdout);
	}

	void OnTestProgramEnd(const ::testing::UnitTest &unit) override
	{
		std::printf("# passed %d, failed %d, skipped %d (%.1f s)\n",
			    unit.successful_test_count(), unit.failed_test_count(),
			    unit.skipped_test_count(),
			    static_cast<double>(unit.elapsed_time()) / 1000);
		std::fflush(stdout);
	}

private:
	int number_ = 0;
};

} // namespace

int main(int argc, char **argv)
{
	::testing::InitGoogleTest(&argc, argv);
	::testing::TestEventListeners &listeners =
		::testing::UnitTest::GetInstance()->listeners();
	delete listeners.Release(listeners.default_result_printer());
	listeners.Append(new tap_printer);

	int rc = RUN_ALL_TESTS();
	const ::testing::UnitTest *unit = ::testing::UnitTest::GetInstance();
	if (rc || unit->failed_test_count() || unit->skipped_test_count())
		return 1;
	return 0;
}
