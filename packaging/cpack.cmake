# The package: `cmake --build build --target package` (or `cpack` in the build folder) makes a
# .deb and a .tar.gz. Depends: is computed from the binaries by dpkg-shlibdeps (dpkg-dev).
set(CPACK_PACKAGE_NAME digitlab)
set(CPACK_PACKAGE_VENDOR "The DigitLab developers")
set(CPACK_PACKAGE_CONTACT "DigitLab developers <digitlab@example.org>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})  # the one project(VERSION)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
"DigitLab trains a small convolutional neural network (LibTorch) on the MNIST
handwritten digits and shows it learning: live loss and accuracy charts,
progress with images per second, pause, resume and stop.

Draw a digit with the mouse, a pen or a finger and see what the network
reads, with its ten class probabilities; browse the 10,000 test images, the
mistakes and the confusion matrix. A pretrained model is included. MNIST is
downloaded by the program on request and checked against its published MD5
and SHA-256 sums.

The package has the desktop app, digitlab, and its command-line twin,
digitlab-cli (train, eval, predict, bench, fetch-data).")
set(CPACK_PACKAGE_INSTALL_DIRECTORY digitlab)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_SOURCE_GENERATOR "")
set(CPACK_PACKAGE_FILE_NAME "digitlab-${PROJECT_VERSION}-${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # digitlab_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Qt SQL loads its SQLite driver as a plugin, which dpkg-shlibdeps cannot see: the run database
# (issue 19) needs it.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-sqlite")
# Not found by dpkg-shlibdeps (not linked): text needs a font, and Qt draws none without one.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fonts-dejavu-core | fonts-freefont-ttf")
# Fashion-MNIST without a download: core::Dataset finds Debian's copy (docs/datasets.md).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "dataset-fashion-mnist")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

include(CPack)
