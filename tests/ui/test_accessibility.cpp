// Issue 16 item 6 and section 3: every tab's keyboard mnemonics are unique, and every
// interactive or result widget is named for a screen reader (walked through QAccessible, as
// AT-SPI reads it).
#include "uitestsupport.h"
#include "ui/browse/browsetab.h"
#include "ui/browse/confusionmatrixview.h"
#include "ui/mainwindow.h"
#include "ui/train/traintab.h"
#include "ui/trainingcontroller.h"
#include <QAbstractButton>
#include <QAccessible>
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QSpinBox>
#include <QGroupBox>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSet>
#include <QStyleHints>
#include <QTabBar>
#include <QTabWidget>
#include <QTest>
#include <catch2/catch.hpp>
#include <memory>

namespace {

/// The whole window with the bundled model (`bundled`; empty: best, as a user first sees it)
/// and MNIST.
std::unique_ptr<ui::MainWindow> makeWindow(const QString &bundled = QString())
{
    ui::MainWindow::Options options;
    options.bundledModel = bundled;
    options.restoreSettings = false;
    options.dataDir = uitest::requireMnistDir();
    auto window = std::make_unique<ui::MainWindow>(options);
    window->setMessageSink([](QMessageBox::Icon, const QString &, const QString &) {});
    window->setUnsavedPrompt([](const QString &) { return QMessageBox::Discard; });
    window->resize(1200, 780);
    window->show();
    REQUIRE(QTest::qWaitForWindowExposed(window.get()));
    REQUIRE(uitest::waitUntil([&] { return window->controller()->isIdle(); }, 60000));
    return window;
}

void showTab(ui::MainWindow &window, int index)
{
    window.tabs()->setCurrentIndex(index);
    QCoreApplication::processEvents();
}

/// "Alt+H" for "T&hreads:", empty when the text has no mnemonic.
QString mnemonicOf(const QString &text)
{
    return QKeySequence::mnemonic(text).toString();
}

/// Every mnemonic a user can press while the current tab is shown: the tab bar's, the menu
/// bar's, and those of the visible buttons, group boxes and labels with a buddy.
QMultiMap<QString, QString> windowMnemonics(ui::MainWindow &window)
{
    QMultiMap<QString, QString> keys;
    auto add = [&keys](const QString &text, const QString &where) {
        const QString key = mnemonicOf(text);
        if (!key.isEmpty())
            keys.insert(key, where + QStringLiteral(" \"") + text + QLatin1Char('"'));
    };
    QTabBar *bar = window.tabs()->tabBar();
    for (int i = 0; i < bar->count(); ++i)
        add(bar->tabText(i), QStringLiteral("tab"));
    for (QAction *menu : window.menuBar()->actions())
        add(menu->text(), QStringLiteral("menu"));
    for (QWidget *w : window.tabs()->currentWidget()->findChildren<QWidget *>()) {
        if (!w->isVisible())
            continue;
        if (auto *button = qobject_cast<QAbstractButton *>(w))
            add(button->text(), QStringLiteral("button"));
        else if (auto *label = qobject_cast<QLabel *>(w); label && label->buddy())
            add(label->text(), QStringLiteral("label"));
        else if (auto *group = qobject_cast<QGroupBox *>(w); group && group->isCheckable())
            add(group->title(), QStringLiteral("group"));
    }
    return keys;
}

QStringList clashes(const QMultiMap<QString, QString> &keys)
{
    QStringList out;
    for (const QString &key : keys.uniqueKeys())
        if (keys.count(key) > 1)
            out << key + QStringLiteral(": ") + QStringList(keys.values(key)).join(QStringLiteral(", "));
    return out;
}

void collectMenus(QMenu *menu, QList<QMenu *> &menus)
{
    menus << menu;
    for (QAction *a : menu->actions())
        if (a->menu())
            collectMenus(a->menu(), menus);
}

bool interactiveOrResult(QAccessibleInterface *iface)
{
    switch (iface->role()) {
    case QAccessible::PushButton:
    case QAccessible::CheckBox:
    case QAccessible::RadioButton:
    case QAccessible::ComboBox:
    case QAccessible::SpinBox:
    case QAccessible::EditableText:
    case QAccessible::Slider:
    case QAccessible::List:
    case QAccessible::Table:
    case QAccessible::Tree:
    case QAccessible::ProgressBar:
    case QAccessible::PageTabList:
    case QAccessible::Canvas:
    case QAccessible::Chart:
    case QAccessible::Graphic:
        return true;
    default:
        break;
    }
    // DigitLab's own widgets (canvas, bars, matrix, layer views) and Qt Charts' views show results.
    QObject *object = iface->object();
    const QString cls = object ? QString::fromLatin1(object->metaObject()->className()) : QString();
    return cls.startsWith(QStringLiteral("ui::")) && !cls.endsWith(QStringLiteral("Tab")) || cls == QStringLiteral("QChartView");
}

QString describe(QAccessibleInterface *iface)
{
    QObject *o = iface->object();
    return QStringLiteral("%1 \"%2\" (role %3)")
        .arg(o ? QString::fromLatin1(o->metaObject()->className()) : QStringLiteral("?"),
             o ? o->objectName() : QString())
        .arg(int(iface->role()));
}

/// Walks the accessibility tree under iface and lists the shown interactive or result widgets
/// that have no name.
void unnamed(QAccessibleInterface *iface, QStringList &out, int depth = 0)
{
    if (!iface || depth > 40)
        return;
    if (iface->state().invisible)
        return;
    if (interactiveOrResult(iface) && iface->text(QAccessible::Name).trimmed().isEmpty())
        out << describe(iface);
    for (int i = 0; i < iface->childCount(); ++i)
        unnamed(iface->child(i), out, depth + 1);
}

} // namespace

TEST_CASE("mnemonics: no two controls of a tab share an Alt key, nor two entries of a menu", "[a11y][mnemonics]")
{
    auto window = makeWindow();
    for (int t = 0; t < window->tabs()->count(); ++t) {
        showTab(*window, t);
        INFO("tab " << window->tabs()->tabText(t).toStdString());
        const QStringList found = clashes(windowMnemonics(*window));
        INFO(found.join(QStringLiteral("\n")).toStdString());
        CHECK(found.isEmpty());
    }
    QList<QMenu *> menus;
    for (QAction *a : window->menuBar()->actions())
        if (a->menu())
            collectMenus(a->menu(), menus);
    for (QMenu *menu : menus) {
        Q_EMIT menu->aboutToShow(); // Open Recent fills itself on show
        QMultiMap<QString, QString> keys;
        for (QAction *a : menu->actions())
            if (!a->isSeparator() && !mnemonicOf(a->text()).isEmpty())
                keys.insert(mnemonicOf(a->text()), a->text());
        INFO("menu " << menu->title().toStdString());
        const QStringList found = clashes(keys);
        INFO(found.join(QStringLiteral("\n")).toStdString());
        CHECK(found.isEmpty());
    }
}

TEST_CASE("mnemonics: on the Train tab Alt+H belongs to the Help menu alone and Alt+L to one field", "[a11y][mnemonics]")
{
    auto window = makeWindow();
    showTab(*window, 0);
    window->activateWindow();
    // The Help menu's mnemonic is the menu bar's alone: no field of the tab takes it first.
    const auto keys = windowMnemonics(*window);
    REQUIRE(keys.count(QStringLiteral("Alt+H")) == 1);
    CHECK(keys.value(QStringLiteral("Alt+H")).startsWith(QStringLiteral("menu")));
    CHECK(keys.count(QStringLiteral("Alt+L")) == 1);
    // And the keys do what the labels say.
    QApplication::setActiveWindow(window.get());
    QDoubleSpinBox *rate = window->trainTab()->learningRateField();
    QTest::keyClick(window.get(), Qt::Key_L, Qt::AltModifier);
    CHECK((QApplication::focusWidget() == rate || rate->isAncestorOf(QApplication::focusWidget())));
    QTest::keyClick(window.get(), Qt::Key_R, Qt::AltModifier);
    QSpinBox *threads = window->trainTab()->threadsField();
    CHECK((QApplication::focusWidget() == threads || threads->isAncestorOf(QApplication::focusWidget())));
}

TEST_CASE("accessibility: every shown interactive or result widget of every tab has a name", "[a11y]")
{
    auto window = makeWindow();
    for (int t = 0; t < window->tabs()->count(); ++t) {
        showTab(*window, t);
        INFO("tab " << window->tabs()->tabText(t).toStdString());
        QStringList missing;
        unnamed(QAccessible::queryAccessibleInterface(window.get()), missing);
        INFO(missing.join(QStringLiteral("\n")).toStdString());
        CHECK(missing.isEmpty());
    }
}

TEST_CASE("accessibility: Browse's filters are announced by their labels", "[a11y]")
{
    auto window = makeWindow();
    showTab(*window, 2);
    auto *browse = window->findChild<ui::BrowseTab *>();
    REQUIRE(browse);
    QStringList found;
    for (QComboBox *combo : browse->findChildren<QComboBox *>()) {
        QAccessibleInterface *iface = QAccessible::queryAccessibleInterface(combo);
        REQUIRE(iface);
        const QString name = iface->text(QAccessible::Name);
        // The label (its buddy) is the name or a Label relation; the value alone is not enough.
        bool labelled = name != combo->currentText() && !name.isEmpty();
        for (const auto &[other, relation] : iface->relations(QAccessible::Label))
            labelled = labelled || !other->text(QAccessible::Name).isEmpty();
        found << QStringLiteral("%1 -> %2%3").arg(combo->currentText(), name, labelled ? QString() : QStringLiteral(" (unlabelled)"));
        CHECK(labelled);
    }
    INFO(found.join(QStringLiteral("\n")).toStdString());
    CHECK(found.size() >= 3);
}

TEST_CASE("accessibility: the confusion matrix is a table whose cells read their counts", "[a11y]")
{
    // The tutorial model: the table does not depend on the model that filled it, and its 10,000
    // predictions cost a tenth of best's.
    auto window = makeWindow(QStringLiteral("tutorial"));
    showTab(*window, 2);
    auto *browse = window->findChild<ui::BrowseTab *>();
    REQUIRE(browse);
    REQUIRE(uitest::waitUntil([&] { return browse->correctCount() >= 0; }, 120000));
    ui::ConfusionMatrixView *matrix = browse->matrixView();
    QAccessibleInterface *iface = QAccessible::queryAccessibleInterface(matrix);
    REQUIRE(iface);
    CHECK(iface->role() == QAccessible::Table);
    QAccessibleTableInterface *table = iface->tableInterface();
    REQUIRE(table);
    CHECK(table->rowCount() == 10);
    CHECK(table->columnCount() >= 10);
    QAccessibleInterface *cell = table->cellAt(3, 5);
    REQUIRE(cell);
    const QString text = cell->text(QAccessible::Name) + QLatin1Char(' ') + cell->text(QAccessible::Value);
    INFO(text.toStdString());
    CHECK(text.contains(QString::number(matrix->matrix()[3][5])));
    CHECK(text.contains(QStringLiteral("3")));
    QAccessibleTableCellInterface *c = cell->tableCellInterface();
    REQUIRE(c);
    CHECK(c->rowIndex() == 3);
    CHECK(c->columnIndex() == 5);
    // The walk a screen reader makes: every cell is a child with a name.
    int named = 0;
    for (int i = 0; i < iface->childCount(); ++i)
        named += !iface->child(i)->text(QAccessible::Name).isEmpty();
    CHECK(named >= 100);
}

TEST_CASE("accessibility: the Inside tab's labels read their visible text", "[a11y]")
{
    auto window = makeWindow();
    showTab(*window, 3);
    for (const char *name : {"insideOrigin", "insideStamp", "insideQuestion"}) {
        auto *label = window->findChild<QLabel *>(QString::fromLatin1(name));
        REQUIRE(label);
        label->setText(QStringLiteral("Why not 9? (the network says 4)"));
        QAccessibleInterface *iface = QAccessible::queryAccessibleInterface(label);
        REQUIRE(iface);
        INFO(name << ": " << iface->text(QAccessible::Name).toStdString());
        CHECK(iface->text(QAccessible::Name).contains(QStringLiteral("Why not 9?")));
    }
}

TEST_CASE("accessibility: the page tabs are reached with the Tab key", "[a11y]")
{
    // As on desktops whose Tab moves through text fields and lists only (GNOME's, macOS's
    // keyboard setting): a tab bar with the default TabFocus policy is skipped there.
    QStyleHints *hints = QGuiApplication::styleHints();
    const Qt::TabFocusBehavior before = hints->tabFocusBehavior();
    hints->setTabFocusBehavior(Qt::TabFocusTextControls);
    struct Restore {
        QStyleHints *hints;
        Qt::TabFocusBehavior before;
        ~Restore() { hints->setTabFocusBehavior(before); }
    } restore{hints, before};
    auto window = makeWindow();
    showTab(*window, 0);
    window->activateWindow();
    QApplication::setActiveWindow(window.get());
    window->trainTab()->startButton()->setFocus();
    QTabBar *bar = window->tabs()->tabBar();
    bool reached = false;
    for (int i = 0; i < 80 && !reached; ++i) {
        QTest::keyClick(QApplication::focusWidget() ? QApplication::focusWidget() : window.get(), Qt::Key_Tab);
        reached = QApplication::focusWidget() == bar;
    }
    CHECK(reached);
}
