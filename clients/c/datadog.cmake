# The C client's Datadog tracer (tracer_datadog.cc): Datadog's C++ tracer
# loaded as a plugin (libdd_opentracing_plugin.so, Debian
# libdd-opentracing0) through Debian's opentracing-c-wrapper. Included by
# clients/c/CMakeLists.txt after tb-client-c is defined.
#
# Without the wrapper's or OpenTracing's development files, a stub takes
# its place whose init() names the packages, so `--tracer datadog` still
# exits 3 with that line rather than "unknown tracer".
pkg_check_modules(OTC_WRAPPER IMPORTED_TARGET opentracing-c-wrapper)
find_library(TB_OPENTRACING_LIB opentracing)
find_path(TB_OPENTRACING_INCLUDE opentracing/tracer.h)

target_compile_definitions(tb-client-c PRIVATE TB_HAVE_DATADOG)
if(OTC_WRAPPER_FOUND AND TB_OPENTRACING_LIB AND TB_OPENTRACING_INCLUDE)
  target_sources(tb-client-c PRIVATE
                 ${CMAKE_CURRENT_LIST_DIR}/tracer_datadog.cc)
  target_include_directories(tb-client-c PRIVATE ${TB_OPENTRACING_INCLUDE})
  target_link_libraries(tb-client-c PRIVATE PkgConfig::OTC_WRAPPER
                        ${TB_OPENTRACING_LIB})
else()
  message(WARNING "tb-client-c: the datadog tracer needs "
                  "libopentracing-c-wrapper-dev and libopentracing-dev")
  target_sources(tb-client-c PRIVATE
                 ${CMAKE_CURRENT_LIST_DIR}/tracer_datadog_missing.c)
endif()
