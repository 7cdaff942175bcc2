#pragma once
#include "core/network.h"
#include <QWidget>
#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QMenu;
class QTableWidget;
class QToolButton;

namespace ui {

class LayerForm;

/// The Train tab's network editor (issue 18): a preset picker, the layers as a list (add from a
/// menu of the layer kinds, remove, reorder by drag or Ctrl+Up/Down, edit each layer's arguments
/// in a form), the one-line text beside it (editable; both always agree), and the shape table:
/// every layer's output, weights and FLOPs from core::Network::analyze(), or the reason the
/// network cannot train next to the layer it names. It holds the network and says what the user
/// did (edited()); the Train tab keeps the undo history and the rest of the recipe.
class NetworkEditor : public QWidget {
    Q_OBJECT
public:
    explicit NetworkEditor(QWidget *parent = nullptr);

    /// Shows `network` (a preset, an opened model, undo/redo) without emitting edited(). The
    /// selection stays on `currentRow` (0-based; -1 keeps the current one where it can).
    void setNetwork(const core::Network &network, int currentRow = -1);
    /// The list's network: the last text that parsed.
    const core::Network &network() const { return m_network; }
    /// Empty when the network can train; else why not, in one sentence.
    QString problem() const;
    /// The analysis of a valid network (nullopt while invalid).
    const std::optional<core::NetworkReport> &report() const { return m_report; }
    /// The "about N s per epoch" sentence under the table.
    void setEstimate(const QString &text);
    QString estimateText() const;
    /// Compact: only the preset and the text line (the Train tab's view during a run, when the
    /// charts and the log need the room and the network cannot be edited).
    void setCompact(bool compact);
    /// Undo and Redo as buttons in the editor's header.
    void setUndoButtons(QToolButton *undo, QToolButton *redo);

    /// Adds a layer of `kind` with usual arguments after the selected one (at the end when none).
    void addLayer(core::LayerKind kind);
    void removeCurrentLayer();
    /// Moves the selected layer up (-1) or down (+1).
    void moveCurrentLayer(int delta);
    /// A new layer of `kind` with the arguments a first try would use (Conv2d(32,3), Linear(10)...).
    static core::Layer defaultLayer(core::LayerKind kind);

    // For tests and the Train tab.
    QComboBox *presetPicker() const { return m_preset; }
    QListWidget *layerList() const { return m_list; }
    QLineEdit *textField() const { return m_text; }
    QTableWidget *shapeTable() const { return m_table; }
    LayerForm *layerForm() const { return m_form; }
    QToolButton *addButton() const { return m_addButton; }
    QToolButton *removeButton() const { return m_removeButton; }
    QToolButton *upButton() const { return m_upButton; }
    QToolButton *downButton() const { return m_downButton; }
    QMenu *addMenu() const { return m_addMenu; }
    /// What the row of layer `row` (0-based) says about it: its shape, or the reason it fails.
    QString rowText(int row) const;
    /// The error under the text field (empty while the text parses).
    QString textError() const { return m_textError; }

Q_SIGNALS:
    /// The user changed the network (list, form or text). `what` names the edit for the undo
    /// history; consecutive edits with the same non-zero mergeKey are one step.
    void edited(const QString &what, int mergeKey);
    /// The user picked a preset: the Train tab loads its network and recipe.
    void presetChosen(const QString &name);
    /// problem() may have changed.
    void validityChanged();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void buildUi();
    /// The user changed the layers: show them, then emit edited().
    void commit(std::vector<core::Layer> layers, int currentRow, const QString &what, int mergeKey);
    void fillList(int currentRow);
    void analyze();
    void fillTable();
    void showCurrentLayer();
    void onTextEdited(const QString &text);
    void onRowsMoved();
    void updateButtons();

    core::Network m_network;
    std::optional<core::NetworkReport> m_report;
    std::optional<core::NetworkReport> m_partial; ///< the layers before the one at fault
    QString m_networkError;  ///< analyze()'s message when the network cannot train
    int m_errorLayer = 0;    ///< 1-based layer it names (0: the whole network)
    QString m_textError;     ///< the text field's parse error
    bool m_filling = false;

    QComboBox *m_preset = nullptr;
    QLineEdit *m_text = nullptr;
    QLabel *m_textErrorLabel = nullptr;
    QListWidget *m_list = nullptr;
    QToolButton *m_addButton = nullptr;
    QMenu *m_addMenu = nullptr;
    QToolButton *m_removeButton = nullptr;
    QToolButton *m_upButton = nullptr;
    QToolButton *m_downButton = nullptr;
    LayerForm *m_form = nullptr;
    QTableWidget *m_table = nullptr;
    QLabel *m_problemLabel = nullptr;
    QLabel *m_totals = nullptr;
    QLabel *m_estimate = nullptr;
    QWidget *m_undoBox = nullptr;
    QWidget *m_body = nullptr;   ///< list, form and table: hidden when compact
};

} // namespace ui
