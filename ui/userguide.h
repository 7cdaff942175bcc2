#pragma once
#include <QString>

class QWidget;

namespace ui {

/// Help > User Guide: what each tab does, what the charts mean, the shortcuts. Short on
/// purpose: one page a new user reads once.
QString userGuideHtml();
/// Shows the guide in a non-modal window (one per parent; raised when already open).
void showUserGuide(QWidget *parent);

} // namespace ui
