#pragma once
#include "core/inspect.h"
#include "core/types.h"
#include <QElapsedTimer>
#include <QWidget>
#include <array>
#include <memory>

class QButtonGroup;
class QComboBox;
class QLabel;
class QLayout;
class QScrollArea;
class QTimer;
template <typename T> class QFutureWatcher;

namespace core {
class Classifier;
}

namespace ui {

class DrawCanvas;
class KernelView;
class LayerView;
class ModelDocument;
class SaliencyView;

/// The Inside tab, for any network: every layer for the current input (ModelDocument::currentInput():
/// the Draw tab's drawing, the Browse tab's selection, or the small canvas here), a row per
/// layer as core names them, the kernels and what feeds any unit, and why the network says what
/// it says: a saliency map (integrated gradients or gradient x input) and an occlusion map for
/// the predicted class or any class the user picks ("why not 7?").
///
/// While training it follows the weights of whatever network trains: each snapshot the worker
/// publishes, and while the tab is shown, the worker's live snapshots (liveSnapshotsWanted()),
/// stamped "epoch / batch". Every layer's output costs 0.1 ms (tutorial) to 6 ms (best) and is
/// computed on the GUI thread; saliency and occlusion (tens to hundreds of ms) run on
/// QtConcurrent's pool, one job at a time, the latest request winning. Nothing is computed while
/// the tab is hidden.
class InsideTab : public QWidget {
    Q_OBJECT
public:
    /// Live weight snapshots while training, at most this often: 4 a second shows the filters
    /// change smoothly, and a copy of the weights costs the trainer microseconds (the tutorial's
    /// 21,840) to a fraction of a millisecond (best's 145k).
    static constexpr int kLiveSnapshotMs = 250;
    /// While live snapshots arrive, the saliency map is recomputed at most this often and the
    /// occlusion map (784 forward passes) waits for the epoch's published snapshot: together they
    /// would otherwise cost the trainer's machine more CPU than the layers themselves.
    static constexpr int kLiveSaliencyMs = 1000;

    explicit InsideTab(ModelDocument *state, QWidget *parent = nullptr);
    ~InsideTab() override;

    LayerView *layerView() const { return m_layers; }
    KernelView *kernelView() const { return m_kernels; }
    SaliencyView *saliencyView() const { return m_saliency; }
    SaliencyView *occlusionView() const { return m_occlusion; }
    QScrollArea *layerScrollArea() const { return m_scroll; }
    DrawCanvas *canvas() const { return m_canvas; }
    QComboBox *methodCombo() const { return m_method; }

    /// The class being explained (-1: nothing to explain) and the network's answer.
    int explainedClass() const;
    int predictedClass() const { return m_predicted; }
    /// "Why 3?" / "Why not 7?" as shown.
    QString questionText() const;
    /// "epoch 2 · batch 300/600 (training)" and the like.
    QString stampText() const;
    /// Layer updates done (for tests) and the last one's cost in ms (every layer's output + the views' images).
    int updateCount() const { return m_updateCount; }
    double lastUpdateMs() const { return m_lastUpdateMs; }
    /// Saliency jobs finished and the last one's cost in ms (both maps, off the GUI thread).
    int saliencyCount() const { return m_saliencyCount; }
    double lastSaliencyMs() const { return m_lastSaliencyMs; }

public Q_SLOTS:
    /// Explain this class; the predicted class, or -1, follows the prediction again.
    void explainClass(int digit);
    /// A mid-epoch copy of the training weights (TrainingController::liveSnapshot).
    void showTrainingSnapshot(std::shared_ptr<const core::Classifier> classifier, const core::BatchStats &at);

Q_SIGNALS:
    /// The live-snapshot interval the tab wants (TrainingController::setLiveSnapshotInterval): kLiveSnapshotMs while
    /// it is shown, 0 when hidden (then training runs exactly as without the tab).
    void liveSnapshotsWanted(int milliseconds);
    /// A layer update has been shown.
    void updated();
    /// New saliency and occlusion maps are shown.
    void saliencyUpdated();

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    struct SaliencyJob {
        quint64 request = 0;
        core::TensorData saliency;
        core::TensorData occlusion;
        bool withOcclusion = true;
        double ms = 0;
        QString error;
    };

    std::shared_ptr<const core::Classifier> model() const;
    QWidget *createLeftColumn();
    QWidget *createMiddle();
    QLayout *createClassButtons();
    QWidget *createRightColumn();
    void connectParts();
    /// The model's name in the stamp, the one the status bar uses ("bundled model", a file).
    QString modelName(const core::Classifier &classifier) const;
    void onClassifierChanged();
    /// A new model's network and weights for the views (the rows are rebuilt only for another network).
    void showModel(const core::Classifier *classifier);
    void refresh();
    void startSaliency();
    void onSaliencyFinished();
    void updateQuestion();
    void scheduleCanvasInput();
    void takeCanvasInput();

    ModelDocument *m_state;
    DrawCanvas *m_canvas;
    QLabel *m_origin;
    QLabel *m_stamp;
    LayerView *m_layers;
    KernelView *m_kernels;
    QScrollArea *m_scroll = nullptr;
    QLabel *m_key = nullptr;
    QButtonGroup *m_classButtons;
    QLabel *m_question;
    QComboBox *m_method;
    SaliencyView *m_saliency;
    SaliencyView *m_occlusion;
    QLabel *m_message;
    QTimer *m_throttle;
    QElapsedTimer m_sinceCanvas;
    QFutureWatcher<SaliencyJob> *m_watcher;
    QTimer *m_liveSaliencyTimer;
    QElapsedTimer m_sinceLiveSaliency;

    std::shared_ptr<const core::Classifier> m_live; ///< a live training snapshot, newer than the state's
    const core::Classifier *m_weightsOf = nullptr;  ///< whose weights the views show
    QString m_networkText;      ///< the network the views' rows are for
    int m_classes = 0;          ///< its class count
    QString m_stampText;
    std::vector<float> m_input; ///< what the views show
    int m_predicted = -1;
    int m_pinned = -1;          ///< the class the user picked; -1 follows the prediction
    quint64 m_request = 0;      ///< grows with every saliency request; stale results are dropped
    bool m_saliencyPending = false;
    bool m_outdated = true;
    int m_updateCount = 0;
    double m_lastUpdateMs = 0;
    int m_saliencyCount = 0;
    double m_lastSaliencyMs = 0;
};

} // namespace ui
