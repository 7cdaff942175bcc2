# Project-wide compile settings in one INTERFACE target: every target links it, no directory-wide
# add_definitions/include_directories.
add_library(digitlab_options INTERFACE)
add_library(DigitLab::options ALIAS digitlab_options)
target_compile_features(digitlab_options INTERFACE cxx_std_20)
target_compile_options(digitlab_options INTERFACE -Wall -Wextra -Wno-unused-parameter)
target_compile_definitions(digitlab_options INTERFACE
  QT_NO_KEYWORDS              # LibTorch uses the identifier 'slots'; write Q_SIGNALS/Q_SLOTS/Q_EMIT
  QT_NO_CONTEXTLESS_CONNECT   # every connect() names a context object, so lambdas die with it
  QT_USE_QSTRINGBUILDER
  DIGITLAB_VERSION="${PROJECT_VERSION}"
  DIGITLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
