# Installing the adapter kits beside the binary, and the Debian package (ci/package: cpack -G DEB).
# What `cmake --install` places: bin/provkit, the static libraries, headers and CMake package
# (above), docs/contract.md, and the Python and Node adapter kits in share/provkit/adapters/.
set(_provkit_kits ${CMAKE_CURRENT_SOURCE_DIR}/conformance/adapters)
install(DIRECTORY ${_provkit_kits}/python/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/provkit/adapters/python
        PATTERN tests EXCLUDE PATTERN __pycache__ EXCLUDE PATTERN "*.egg-info" EXCLUDE
        PATTERN build EXCLUDE)
install(DIRECTORY ${_provkit_kits}/node/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/provkit/adapters/node
        PATTERN tests EXCLUDE PATTERN node_modules EXCLUDE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME provkit)
set(CPACK_PACKAGE_VENDOR provkit)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "conformance harness for LLM provider session reuse and readiness")
set(CPACK_PACKAGE_DESCRIPTION
    "provkit judges LLM providers (C++, any language through an adapter, or a live server by URL)
against the session-reuse and readiness contract, with an embedded mock OpenAI-compatible
server, reports, and adapter kits for Python and Node.")
set(CPACK_PACKAGE_CONTACT "provkit maintainers <maintainers@provkit.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # provkit_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# The binary's shared libraries (cpp-httplib, libstdc++, OpenSSL, ...) from dpkg-shlibdeps; the
# headers a find_package(provkit) consumer compiles against are recommended, not required.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "libcpp-httplib-dev, nlohmann-json3-dev, libgtest-dev, libgmock-dev, python3, nodejs")
set(CPACK_STRIP_FILES ON)
include(CPack)
