#pragma once
#include "core/dataset.h"
#include "core/types.h"
#include <QElapsedTimer>
#include <QImage>
#include <QWidget>

class QLabel;
class QTimer;
class QAction;
class QHBoxLayout;

namespace core {
struct NormalisedDigit;
} // namespace core

namespace ui {

class DigitView;
class DrawCanvas;
class ModelDocument;
class ProbabilityBars;

/// The Draw tab: a canvas, the 28x28 input the network sees, the predicted digit with its
/// confidence (or a doubt), and the ten softmax bars. Predictions come from ModelDocument's
/// classifier snapshot, so drawing works while training runs and follows each new snapshot.
class DrawTab : public QWidget {
    Q_OBJECT
public:
    /// Live predictions while a stroke is drawn are at most this far apart (a few per second):
    /// enough for the bars to follow the pen without spending the GUI thread on inference.
    static constexpr int kPredictIntervalMs = 150;

    explicit DrawTab(ModelDocument *state, QWidget *parent = nullptr);
    ~DrawTab() override;

    DrawCanvas *canvas() const { return m_canvas; }
    ProbabilityBars *bars() const { return m_bars; }
    DigitView *inputView() const { return m_input; }
    /// The last prediction shown (digit -1 when the canvas is blank or there is no model).
    const core::Prediction &prediction() const { return m_prediction; }
    /// The 28x28 network input last classified (null when blank).
    const QImage &networkInput() const { return m_inputImage; }
    /// The text of the big label: a digit, or the "draw a digit" prompt.
    QString verdictText() const;
    /// The doubt shown under the verdict ("Not sure: 3 or 5?"), empty when the model is sure.
    QString doubtText() const;
    /// How many predictions have run (for tests of the throttle).
    int predictionCount() const { return m_predictionCount; }

public Q_SLOTS:
    /// Normalises the canvas and classifies it now.
    void predictNow();
    /// Open-file dialog, then loads the image onto the canvas.
    void loadImage();
    /// Save-file dialog, then writes the drawing as PNG.
    void saveDrawing();

Q_SIGNALS:
    /// After every prediction has been shown (bars updated): for latency measurements and tests.
    void predicted(const core::Prediction &prediction);

private:
    // The constructor's steps.
    QHBoxLayout *createActions();
    QWidget *buildDrawingSide();
    void styleVerdictLabels();
    QWidget *buildVerdictSide();
    // predictNow's steps.
    void showVerdict(const QString &text, bool prompt, const QColor &colour = QColor());
    void showBlank();
    void classify(const core::NormalisedDigit &digit);

    void scheduleLivePrediction();
    void showMessage(const QString &text, bool error);
    /// The current model's dataset: its prompt, help and class names (issue 20).
    void followDataset();

    ModelDocument *m_state;
    DrawCanvas *m_canvas;
    DigitView *m_input;
    QLabel *m_digit;
    QLabel *m_confidence;
    QLabel *m_doubt;
    QLabel *m_message;
    ProbabilityBars *m_bars;
    QTimer *m_throttle;
    QElapsedTimer m_sinceLast;
    core::Prediction m_prediction;
    QImage m_inputImage;
    int m_predictionCount = 0;
    bool m_verdictIsPrompt = false;
    core::Dataset m_dataset = core::Dataset::builtin(QStringLiteral("mnist"));
};

} // namespace ui
