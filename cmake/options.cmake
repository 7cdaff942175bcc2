# Project-wide compile settings in one INTERFACE target: every target links it, no directory-wide
# add_definitions/include_directories.
add_library(digitlab_options INTERFACE)
add_library(DigitLab::options ALIAS digitlab_options)
target_compile_features(digitlab_options INTERFACE cxx_std_20)
# Warnings for our code only: Qt's and LibTorch's imported targets put their headers on the
# SYSTEM include path, so third-party headers stay silent. The set qBittorrent uses where it
# applies to us (issue 7): C casts, a base class without a virtual destructor, hidden virtual
# overloads and GNU extensions are errors waiting to happen.
option(DIGITLAB_WERROR "Treat compiler warnings as errors (CI: the asan/tsan presets set it)" OFF)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(digitlab_options INTERFACE
    -Wall -Wextra -Wno-unused-parameter
    -Wold-style-cast -Wnon-virtual-dtor -Woverloaded-virtual -pedantic
    $<$<BOOL:${DIGITLAB_WERROR}>:-Werror>)
endif()
target_compile_definitions(digitlab_options INTERFACE
  QT_NO_KEYWORDS              # LibTorch uses the identifier 'slots'; write Q_SIGNALS/Q_SLOTS/Q_EMIT
  QT_USE_QSTRINGBUILDER)
# Not QT_NO_CONTEXTLESS_CONNECT: Qt 6.7 introduced it, Debian 12's Qt 6.4 ignores it silently.
# Every connect() still names a context object (so a lambda dies with it), by review.
# No version or source path here: a definition on every target would recompile the LibTorch
# translation units at each version bump and bake the build machine's paths into the binaries.
# The version is a generated header that core/version.cpp alone includes; the source tree is
# found at run time through the marker below.

# A build-tree run is recognised at run time by this file next to the executable; it names the
# source tree, whose data/mnist is then used. Installed programs have no marker (never installed).
# Call it once per output folder (two calls for one folder would generate the same file twice).
function(digitlab_mark_build_tree target)
  file(GENERATE OUTPUT "$<TARGET_FILE_DIR:${target}>/digitlab-build-tree"
       CONTENT "${PROJECT_SOURCE_DIR}\n")
endfunction()

# The sizes of the committed icon renderings (resources/icons/digitlab-SIZE.png): compiled into
# the app as its window icon and installed in the hicolor theme.
set(DIGITLAB_ICON_SIZES 16 22 24 32 48 64 128 256)
