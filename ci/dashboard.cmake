# A nightly regression run submitted to CDash: configure, build, run the
# full regression gates (ctest label "regress") and submit. Each figure is
# printed by the regression suite as a <CTestMeasurement>, which ctest
# keeps in Test.xml and CDash charts per test.
#
#   ctest -S ci/dashboard.cmake -DCDASH_URL=https://cdash.example.org/submit.php?project=tracebench
#         [-DCLIENT=c] [-DMODEL=Nightly|Experimental] [-DSITE=name]
#
# CLIENT limits the run to one client (regress-<client>); the default runs
# every client registered in clients/clients.json whose tracer loads here
# (the others are skipped by the suite, with the reason).
cmake_minimum_required(VERSION 3.16)

if(NOT DEFINED CDASH_URL)
  message(FATAL_ERROR "give the CDash submit URL: -DCDASH_URL=https://.../submit.php?project=tracebench")
endif()
if(NOT DEFINED MODEL)
  set(MODEL Nightly)
endif()

get_filename_component(CTEST_SOURCE_DIRECTORY "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(CTEST_BINARY_DIRECTORY "${CTEST_SOURCE_DIRECTORY}/build-dashboard")
if(DEFINED SITE)
  set(CTEST_SITE "${SITE}")
else()
  cmake_host_system_information(RESULT CTEST_SITE QUERY HOSTNAME)
endif()
set(CTEST_BUILD_NAME "tracebench-${CMAKE_SYSTEM_NAME}")
set(CTEST_CMAKE_GENERATOR "Unix Makefiles")
set(CTEST_SUBMIT_URL "${CDASH_URL}")
set(CTEST_NIGHTLY_START_TIME "01:00:00 UTC")

if(DEFINED CLIENT)
  set(include_re "^regress-${CLIENT}$")
else()
  set(include_re "^regress-")
endif()

ctest_start(${MODEL})
ctest_configure()
ctest_build(PARALLEL_LEVEL 2)
# Serially: the gates measure CPU, and parallel tests would disturb them.
ctest_test(INCLUDE "${include_re}" EXCLUDE "^regress-quick-"
           INCLUDE_LABEL "^regress$" PARALLEL_LEVEL 1
           RETURN_VALUE failed)
ctest_submit(RETURN_VALUE submit_failed)
if(submit_failed)
  message(WARNING "submission to ${CDASH_URL} failed")
endif()
if(failed)
  message(FATAL_ERROR "regression gates failed (see the dashboard)")
endif()
