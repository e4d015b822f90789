# Helpers every component uses: one library per component, one test binary per component.

# provkit_precompile_headers(TARGET HEADERS...): with PROVKIT_PCH, precompiles HEADERS once for
# TARGET instead of parsing them in each of its sources. Pays for heavy third-party headers most
# sources include: nlohmann/json.hpp and GoogleTest each cost about 2 s of parsing per source.
# The headers are force-included into every source of TARGET, so a missing #include shows only
# in a -DPROVKIT_PCH=OFF build.
# Measured (cmake --build --target provkit -j2 from an empty ci-preset build dir, no ccache, two
# runs each): without PCH 406 s and 215 s wall, 427 s and 403 s CPU; with PCH 616 s and 255 s
# wall, 492 s and 456 s CPU. GCC's header image of nlohmann/json.hpp with -g is 115 MB per
# target; writing and loading it costs more than the parsing it saves. Hence PROVKIT_PCH=OFF.
function(provkit_precompile_headers target)
  if(PROVKIT_PCH)
    target_precompile_headers(${target} PRIVATE ${ARGN})
  endif()
endfunction()

# provkit_add_component(NAME SOURCES... [PUBLIC libs...] [PRIVATE libs...] [NO_PCH]): builds the
# library provkit_NAME, aliased provkit::NAME, with public headers in include/ and private code in
# src/, installs it into the provkitTargets export, and adds tests/ when tests are on. Every
# component reads JSON in most of its sources, so <nlohmann/json.hpp> is precompiled (PROVKIT_PCH)
# unless NO_PCH says the component's sources mostly do not include it.
function(provkit_add_component name)
  cmake_parse_arguments(ARG "NO_PCH" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  set(target provkit_${name})
  add_library(${target} ${ARG_SOURCES})
  add_library(provkit::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME ${target})
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE src)
  target_link_libraries(${target}
    PUBLIC ${ARG_PUBLIC}
    PRIVATE ${ARG_PRIVATE} provkit_warnings provkit_sanitize)
  target_compile_features(${target} PUBLIC cxx_std_20)
  if(NOT ARG_NO_PCH)
    provkit_precompile_headers(${target} <nlohmann/json.hpp>)
  endif()
  # A static library links nothing, so its sources need not wait for the libraries it uses to be
  # archived: on two cores the components then compile side by side instead of one after the
  # other. -DCMAKE_OPTIMIZE_DEPENDENCIES=OFF restores the strict order.
  if(DEFINED CMAKE_OPTIMIZE_DEPENDENCIES)
    set_target_properties(${target} PROPERTIES OPTIMIZE_DEPENDENCIES ${CMAKE_OPTIMIZE_DEPENDENCIES})
  else()
    set_target_properties(${target} PROPERTIES OPTIMIZE_DEPENDENCIES ON)
  endif()
  install(TARGETS ${target} EXPORT provkitTargets)
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  if(PROVKIT_BUILD_TESTS AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/tests/CMakeLists.txt)
    add_subdirectory(tests)
  endif()
endfunction()

# provkit_add_test(NAME SOURCES... LIBS...): one GoogleTest binary, tests discovered by CTest.
# Binaries of three sources or more precompile GoogleTest and nlohmann/json.hpp (PROVKIT_PCH);
# for fewer, building the precompiled header costs more than it saves.
function(provkit_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock_main provkit_warnings provkit_sanitize)
  list(LENGTH ARG_SOURCES source_count)
  if(source_count GREATER_EQUAL 3)
    provkit_precompile_headers(${name} <gtest/gtest.h> <gmock/gmock.h> <nlohmann/json.hpp>)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 120)
endfunction()
