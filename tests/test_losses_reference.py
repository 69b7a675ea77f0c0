"""Loss values and gradients against the reference frameworks.

(k) torch: numbers computed offline with torch 2.13.0+cpu (float64, autograd)
    by the script in TORCH_SCRIPT below (run with torch installed; torch is
    never imported here). Inputs are the literal arrays below, chosen off
    every kink.
(j) scikit-learn: live comparisons, skipped when it is missing; the private
    APIs (`_sgd_fast`, `_loss`) are pinned to the version they were checked on.
"""

from __future__ import annotations


import numpy as np
import pytest

from lossfit import losses

# ------------------------------------------------------------- shared inputs
R_PRED = [-2.3, -0.7, 0.15, 0.4, 1.1, 3.6]
R_TRUE = [0.2, -0.1, 0.9, -0.45, 1.3, 0.35]
P_TRUE = [0.0, 1.0, 2.0, 3.0, 0.0, 5.0]
B_PRED = [-3.2, -0.45, 0.3, 0.8, 1.7, 4.1]
B_TRUE = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0]
B_SOFT = [0.1, 0.9, 0.5, 0.0, 1.0, 0.25]
Z = [[1.2, -0.3, 0.5, 2.1], [0.0, 0.7, -1.4, 0.9], [-2.0, 1.1, 0.35, -0.6],
     [0.4, 0.45, 1.9, -0.2], [3.0, -1.0, 0.2, 2.2]]
T = [0, 3, 1, 2, 3]
Q = [[0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.5, 0.0], [0.25, 0.25, 0.25, 0.25],
     [0.7, 0.1, 0.0, 0.2], [0.0, 0.0, 1.0, 0.0]]
W = (1.0, 2.0, 0.5, 3.0)
EXTREME_B = ([1000.0, -1000.0, 1000.0, -1000.0], [1.0, 0.0, 0.0, 1.0])
EXTREME_Z = ([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]], [0, 0])

# key: "spec" or "spec/variant" -> (mean value, gradient of the mean)
# computed with torch 2.13.0+cpu by TORCH_SCRIPT (float64); "=W" means class_weight=W above
TORCH_2_13 = {
    'mse': (3.0829166666666663, [-0.8333333333333333, -0.19999999999999998, -0.25, 0.2833333333333333, -0.06666666666666665, 1.0833333333333333]),
    'mae': (1.3583333333333334, [-0.16666666666666666, -0.16666666666666666, -0.16666666666666666, 0.16666666666666666, -0.16666666666666666, 0.16666666666666666]),
    'huber(delta=0.5)': (0.5616666666666666, [-0.08333333333333333, -0.08333333333333333, -0.08333333333333333, 0.08333333333333333, -0.033333333333333326, 0.08333333333333333]),
    'huber(delta=1.0)': (0.9320833333333333, [-0.16666666666666666, -0.09999999999999999, -0.125, 0.14166666666666666, -0.033333333333333326, 0.16666666666666666]),
    'huber(delta=2.0)': (1.3904166666666666, [-0.3333333333333333, -0.09999999999999999, -0.125, 0.14166666666666666, -0.033333333333333326, 0.3333333333333333]),
    'smooth_l1(beta=0.0)': (1.3583333333333334, [-0.16666666666666666, -0.16666666666666666, -0.16666666666666666, 0.16666666666666666, -0.16666666666666666, 0.16666666666666666]),
    'smooth_l1(beta=0.5)': (1.1233333333333333, [-0.16666666666666666, -0.16666666666666666, -0.16666666666666666, 0.16666666666666666, -0.06666666666666665, 0.16666666666666666]),
    'smooth_l1(beta=1.0)': (0.9320833333333333, [-0.16666666666666666, -0.09999999999999999, -0.125, 0.14166666666666666, -0.033333333333333326, 0.16666666666666666]),
    'smooth_l1(beta=2.0)': (0.6952083333333333, [-0.16666666666666666, -0.049999999999999996, -0.0625, 0.07083333333333333, -0.016666666666666663, 0.16666666666666666]),
    'log_cosh': (0.8574719337327005, [-0.16443571635857174, -0.08950826116633921, -0.10585815873121453, 0.11517824497215509, -0.032895886704150654, 0.16616627258108765]),
    'quantile(tau=0.1)': (0.6825000000000001, [-0.016666666666666666, -0.016666666666666666, -0.016666666666666666, 0.15, -0.016666666666666666, 0.15]),
    'quantile(tau=0.5)': (0.6791666666666667, [-0.08333333333333333, -0.08333333333333333, -0.08333333333333333, 0.08333333333333333, -0.08333333333333333, 0.08333333333333333]),
    'quantile(tau=0.9)': (0.6758333333333333, [-0.15, -0.15, -0.15, 0.016666666666666663, -0.15, 0.016666666666666663]),
    'epsilon_insensitive(epsilon=0.1)': (1.2583333333333335, [-0.16666666666666666, -0.16666666666666666, -0.16666666666666666, 0.16666666666666666, -0.16666666666666666, 0.16666666666666666]),
    'squared_epsilon_insensitive(epsilon=0.1)': (2.8212499999999996, [-0.7999999999999999, -0.16666666666666666, -0.21666666666666667, 0.25, -0.03333333333333331, 1.0499999999999998]),
    'epsilon_insensitive(epsilon=0.5)': (0.9083333333333332, [-0.16666666666666666, -0.16666666666666666, -0.16666666666666666, 0.16666666666666666, -0.0, 0.16666666666666666]),
    'squared_epsilon_insensitive(epsilon=0.5)': (1.9595833333333335, [-0.6666666666666666, -0.033333333333333326, -0.08333333333333333, 0.1166666666666667, -0.0, 0.9166666666666666]),
    'poisson': (4.008817259251364, [0.016709807287133956, -0.0839024493680984, -0.13969429287861948, -0.2513625503931216, 0.5006943373244055, 5.266372407279665]),
    'bce': (1.165480177702561, [0.006527620466127392, -0.10177320565820365, -0.07092624719805683, 0.11499574685460208, -0.025744210847255793, 0.16394958343809318]),
    'bce/soft': (1.0654801777025609, [-0.010139046200539275, -0.08510653899153701, 0.012407086135276505, 0.11499574685460208, -0.025744210847255793, 0.12228291677142651]),
    'bce(pos_weight=3.0)': (1.7206102509866437, [0.006527620466127392, -0.305319616974611, -0.2127787415941705, 0.11499574685460208, -0.07723263254176738, 0.16394958343809318]),
    'bce(pos_weight=3.0)/soft': (1.606144260418464, [-0.04216685544064713, -0.2682983091763036, -0.05851916106278032, 0.11499574685460208, -0.07723263254176738, 0.12092437515713976]),
    'focal(gamma=2.0, alpha=0.25)': (0.5866167539590292, [2.2231360406724715e-05, -0.0208994343918439, -0.008017018304803423, 0.08427040934920377, -0.00043563811367489786, 0.13522018082281584]),
    'focal(gamma=0.0, alpha=None)': (1.165480177702561, [0.006527620466127392, -0.10177320565820365, -0.07092624719805682, 0.11499574685460208, -0.02574421084725579, 0.16394958343809318]),
    'focal(gamma=1.0, alpha=0.5)': (0.47472791363225025, [0.0002531223703938812, -0.04976218019797637, -0.02638465988644016, 0.06054788105457683, -0.003814444817984505, 0.08613957919340637]),
    'focal(gamma=0.5, alpha=0.25)': (0.681455489475494, [0.0014437044187320248, -0.02586127787523364, -0.01589499717242347, 0.09048965145594656, -0.003691114805518518, 0.12611570756163262]),
    'focal(gamma=2.0, alpha=None)': (0.8328351713638441, [2.964181387563295e-05, -0.0835977375673756, -0.03206807321921369, 0.11236054579893837, -0.0017425524546995914, 0.1802935744304211]),
    'hinge': (1.5083333333333335, [0.0, -0.16666666666666666, -0.16666666666666666, 0.16666666666666666, 0.0, 0.16666666666666666]),
    'squared_hinge': (5.307083333333333, [0.0, -0.4833333333333333, -0.2333333333333333, 0.6, 0.0, 1.6999999999999997]),
    'perceptron': (0.8916666666666666, [0.0, -0.16666666666666666, -0.0, 0.16666666666666666, -0.0, 0.16666666666666666]),
    'exponential': (10.84973411000957, [0.006793700663061034, -0.26138536424836145, -0.12346970344695297, 0.370923488082078, -0.03044725400878911, 10.056714599560324]),
    'modified_huber': (3.705416666666666, [0.0, -0.4833333333333333, -0.2333333333333333, 0.6, -0.0, 0.6666666666666666]),
    'cross_entropy': (0.8973153491864615, [[-0.15214530876116134, 0.010677824919975733, 0.023763936386682796, 0.1177035474545028], [0.03496532359663517, 0.07041151506030541, 0.008622342642166046, -0.11399918129910663], [0.005299596670035944, -0.08235981130725181, 0.055569290396595965, 0.021490924240619907], [0.02824151999937284, 0.029689493693066095, -0.07343028848907689, 0.015499274796637978], [0.1308511168156958, 0.0023966218037838574, 0.007957064608142175, -0.14120480322762183]]),
    'cross_entropy(label_smoothing=0.1)': (0.9958153491864615, [[-0.13714530876116132, 0.005677824919975733, 0.0187639363866828, 0.11270354745450281], [0.02996532359663517, 0.06541151506030542, 0.0036223426421660453, -0.09899918129910662], [0.00029959667003594443, -0.0673598113072518, 0.05056929039659596, 0.01649092424061991], [0.02324151999937284, 0.024689493693066094, -0.05843028848907688, 0.010499274796637977], [0.12585111681569583, -0.0026033781962161427, 0.0029570646081421756, -0.12620480322762181]]),
    'cross_entropy(label_smoothing=0.3)': (1.1928153491864615, [[-0.10714530876116131, -0.004322175080024266, 0.008763936386682799, 0.1027035474545028], [0.01996532359663516, 0.055411515060305394, -0.006377657357833956, -0.06899918129910662], [-0.009700403329964054, -0.03735981130725177, 0.040569290396595965, 0.006490924240619909], [0.013241519999372833, 0.014689493693066087, -0.028430288489076888, 0.0004992747966379739], [0.11585111681569578, -0.012603378196216142, -0.007042935391857826, -0.09620480322762182]]),
    'cross_entropy(class_weight=W)': (0.9394670353125296, [[-0.08007647829534807, 0.005619907852618807, 0.012507334940359365, 0.061949235502369894], [0.05520840567889763, 0.11117607641100853, 0.013614225224472701, -0.1799987073143789], [0.005578522810564151, -0.0866945382181598, 0.05849398989115364, 0.022622025516442008], [0.007431978947203378, 0.007813024656070025, -0.019323760128704442, 0.004078756525431046], [0.20660702655109864, 0.0037841396901850378, 0.01256378622338238, -0.22295495246466604]]),
    'cross_entropy(label_smoothing=0.2, class_weight=W)': (1.05756178008455, [[-0.061138669661213944, -0.004203919455277526, 0.011439172860535867, 0.05390341625595561], [0.04488447726359517, 0.09045862028385908, 0.009734675631527617, -0.14507777317898188], [0.00010617031043115395, -0.05975928250866302, 0.053668886322866954, 0.005984225875364905], [0.005513211578708057, 0.0008025699618278519, 0.0035594951817996085, -0.00987527672233551], [0.1824048912225111, -0.0070890555708889415, 0.00878052687220391, -0.18409636252382605]]),
    'multi_margin(p=1, margin=1.0)': (0.2575, [[-0.1, 0.0, 0.05, 0.05], [0.05, 0.05, 0.0, -0.1], [0.0, -0.05, 0.05, 0.0], [0.0, 0.0, 0.0, 0.0], [0.05, 0.0, 0.0, -0.05]]),
    'multi_margin(p=2, margin=1.0)': (0.38262499999999994, [[-0.22000000000000003, 0.0, 0.030000000000000006, 0.19000000000000003], [0.009999999999999998, 0.08, 0.0, -0.09], [0.0, -0.02499999999999999, 0.02499999999999999, 0.0], [0.0, 0.0, 0.0, 0.0], [0.18, 0.0, 0.0, -0.18]]),
    'multi_margin(p=1, margin=0.5)': (0.15, [[-0.05, 0.0, 0.0, 0.05], [0.0, 0.05, 0.0, -0.05], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.05, 0.0, 0.0, -0.05]]),
    'multi_margin(p=2, margin=0.5)': (0.187, [[-0.14, 0.0, 0.0, 0.14], [0.0, 0.029999999999999995, 0.0, -0.029999999999999995], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.12999999999999998, 0.0, 0.0, -0.12999999999999998]]),
    'crammer_singer': (0.95, [[-0.2, 0.0, 0.0, 0.2], [0.0, 0.2, 0.0, -0.2], [0.0, -0.2, 0.2, 0.0], [0.0, 0.0, 0.0, 0.0], [0.2, 0.0, 0.0, -0.2]]),
    'kl_div': (1.3455924851750933, [[0.027854691238838665, -0.029322175080024274, -0.0362360636133172, 0.037703547454502793], [0.03496532359663517, -0.029588484939694595, -0.09137765735783396, 0.08600081870089338], [-0.044700403329964056, 0.0676401886927482, 0.005569290396595961, -0.028509075759380095], [-0.11175848000062714, 0.009689493693066088, 0.1265697115109231, -0.024500725203362033], [0.1308511168156958, 0.0023966218037838574, -0.19204293539185782, 0.05879519677237817]]),
    'bce/extreme': (500.0, [0.0, 0.0, 0.25, -0.25]),
    'cross_entropy/extreme': (1000.0, [[0.0, 0.0, 0.0], [-0.5, 0.5, 0.0]]),
}


def inputs_for(key: str) -> tuple[losses.Loss, object, object]:
    spec, _, variant = key.partition("/")
    loss = losses.get(spec.replace("=W", "=" + repr(W)))
    if variant == "extreme":
        return (loss, *EXTREME_B) if loss.task == "binary" else (loss, *EXTREME_Z)
    if loss.task == "regression":
        return loss, R_PRED, P_TRUE if loss.name == "poisson" else R_TRUE
    if loss.task == "binary":
        return loss, B_PRED, B_SOFT if variant == "soft" else B_TRUE
    return loss, Z, Q if loss.name == "kl_div" else T


def test_torch_table_covers_every_loss() -> None:
    assert {inputs_for(key)[0].name for key in TORCH_2_13} == set(losses.names())


@pytest.mark.parametrize("key", list(TORCH_2_13))
def test_matches_torch_2_13(key: str) -> None:
    loss, y_pred, y_true = inputs_for(key)
    value, grad = TORCH_2_13[key]
    assert loss(y_pred, y_true) == pytest.approx(value, rel=1e-13, abs=1e-15)
    np.testing.assert_allclose(loss.grad(y_pred, y_true), grad, rtol=1e-12, atol=1e-15)


def test_inputs_are_off_the_kinks() -> None:
    r = np.abs(np.subtract(R_PRED, R_TRUE))
    for kink in (0.0, 0.1, 0.5, 1.0, 2.0):
        assert np.min(np.abs(r - kink)) > 0.05
    m = (2 * np.array(B_TRUE) - 1) * B_PRED
    for kink in (-1.0, 0.0, 1.0):
        assert np.min(np.abs(m - kink)) > 0.05
    z, t = np.array(Z), np.array(T)
    rows = np.arange(len(T))
    gaps = z[rows, t][:, None] - z
    gaps[rows, t] = np.inf
    for margin in (0.5, 1.0):
        assert np.min(np.abs(gaps - margin)) > 0.05


# --------------------------------------------------------------- scikit-learn
SKLEARN_PINNED = "1.9.1"  # private APIs below were checked on this version


def sklearn_private() -> object:
    sklearn = pytest.importorskip("sklearn")
    if sklearn.__version__ != SKLEARN_PINNED:
        pytest.skip(f"private scikit-learn APIs pinned to {SKLEARN_PINNED}, found {sklearn.__version__}")
    return sklearn


RNG = np.random.default_rng(7)
F = RNG.normal(0, 2, 64)  # scores / predictions
Y01 = RNG.integers(0, 2, 64).astype(float)
YR = RNG.normal(0, 2, 64)
ZM = RNG.normal(0, 2, (64, 5))
TM = RNG.integers(0, 5, 64)


def test_bce_matches_sklearn_log_loss() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    p = 1 / (1 + np.exp(-F))
    assert losses.get("bce")(F, Y01) == pytest.approx(metrics.log_loss(Y01, p), rel=1e-12)


def test_cross_entropy_matches_sklearn_log_loss() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    p = np.exp(ZM - ZM.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert losses.get("cross_entropy")(ZM, TM) == pytest.approx(metrics.log_loss(TM, p, labels=range(5)), rel=1e-12)


@pytest.mark.parametrize("tau", [0.1, 0.5, 0.9])
def test_quantile_matches_sklearn_mean_pinball_loss(tau: float) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    assert losses.get("quantile", tau=tau)(F, YR) == pytest.approx(metrics.mean_pinball_loss(YR, F, alpha=tau), rel=1e-12)


def test_hinge_and_crammer_singer_match_sklearn_hinge_loss() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    assert losses.get("hinge")(F, 2 * Y01 - 1) == pytest.approx(metrics.hinge_loss(2 * Y01 - 1, F), rel=1e-12)
    cs = losses.get("crammer_singer")(ZM, TM)
    assert cs == pytest.approx(metrics.hinge_loss(TM, ZM, labels=list(range(5))), rel=1e-12)


@pytest.mark.parametrize(
    "spec, factory",
    [
        ("hinge", lambda sgd: sgd.Hinge(1.0)),
        ("perceptron", lambda sgd: sgd.Hinge(0.0)),
        ("squared_hinge", lambda sgd: sgd.SquaredHinge(1.0)),
        ("modified_huber", lambda sgd: sgd.ModifiedHuber()),
        ("epsilon_insensitive(epsilon=0.5)", lambda sgd: sgd.EpsilonInsensitive(0.5)),
        ("squared_epsilon_insensitive(epsilon=0.5)", lambda sgd: sgd.SquaredEpsilonInsensitive(0.5)),
    ],
)
def test_matches_sklearn_sgd_fast(spec: str, factory: object) -> None:
    sklearn_private()
    from sklearn.linear_model import _sgd_fast

    sk = factory(_sgd_fast)  # type: ignore[operator]
    loss = losses.get(spec)
    if loss.task == "binary":
        y, y_sk = Y01, 2 * Y01 - 1  # _sgd_fast classification uses +-1
        # kinks included on purpose: both follow the same (scikit-learn) rule
        p = np.concatenate([F, [1.0, -1.0, 0.0, -1.0]])
        y, y_sk = np.concatenate([y, [1, 0, 1, 1]]), np.concatenate([y_sk, [1, -1, 1, 1]])
    else:
        p, y = np.concatenate([F, [0.5, -0.5, 0.0]]), np.concatenate([YR, [0.0, 0.0, 0.0]])
        y_sk = y
    n = p.size
    expected_loss = np.mean([sk.py_loss(pi, yi) for pi, yi in zip(p, y_sk)])
    expected_grad = np.array([sk.py_dloss(pi, yi) for pi, yi in zip(p, y_sk)]) / n
    assert loss(p, y) == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(loss.grad(p, y), expected_grad, rtol=1e-12, atol=1e-16)


def test_exponential_and_huber_and_bce_match_sklearn_loss_classes() -> None:
    sklearn_private()
    from sklearn._loss._loss import CyHuberLoss
    from sklearn._loss.loss import ExponentialLoss, HalfBinomialLoss, PinballLoss

    n = F.size
    exp = ExponentialLoss()
    assert losses.get("exponential")(F, Y01) == pytest.approx(exp.loss(y_true=Y01, raw_prediction=F).mean(), rel=1e-13)
    np.testing.assert_allclose(losses.get("exponential").grad(F, Y01), exp.gradient(y_true=Y01, raw_prediction=F) / n, rtol=1e-13)
    binom = HalfBinomialLoss()  # the full softplus(z) - y z despite the name
    assert losses.get("bce")(F, Y01) == pytest.approx(binom.loss(y_true=Y01, raw_prediction=F).mean(), rel=1e-13)
    np.testing.assert_allclose(losses.get("bce").grad(F, Y01), binom.gradient(y_true=Y01, raw_prediction=F) / n, rtol=1e-12, atol=1e-17)
    for delta in (0.5, 1.0, 2.0):
        out, grad = np.empty(n), np.empty(n)
        CyHuberLoss(delta).loss_gradient(y_true=YR, raw_prediction=F, sample_weight=None, loss_out=out, gradient_out=grad, n_threads=1)
        assert losses.get("huber", delta=delta)(F, YR) == pytest.approx(out.mean(), rel=1e-13)
        np.testing.assert_allclose(losses.get("huber", delta=delta).grad(F, YR), grad / n, rtol=1e-13)
    # pinball gradient, kinks included: scikit-learn gives -tau at y_true == y_pred
    p, y = np.concatenate([F, [1.0, -2.0]]), np.concatenate([YR, [1.0, -2.0]])
    for tau in (0.1, 0.9):
        pin = PinballLoss(quantile=tau)
        np.testing.assert_allclose(losses.get("quantile", tau=tau).grad(p, y), pin.gradient(y_true=y, raw_prediction=p) / p.size, rtol=1e-13)


def test_modified_huber_probability_link_is_sklearns_predict_proba() -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    X = np.column_stack([np.linspace(-3, 3, 40), np.ones(40)])
    y = (X[:, 0] + 0.3 * np.sin(7 * X[:, 0]) > 0).astype(int)
    clf = linear_model.SGDClassifier(loss="modified_huber", max_iter=50, tol=None, random_state=0).fit(X, y)
    f = clf.decision_function(X)
    assert losses.get("modified_huber").probability_link == "(clip(f, -1, 1) + 1) / 2"
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], (np.clip(f, -1, 1) + 1) / 2, rtol=1e-12)


# ---------------------------------------------------------------- provenance
TORCH_SCRIPT = r'''
"""Reference numbers for tests/test_losses_reference.py, computed with torch 2.13.0 (CPU, float64)."""
import json
import torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)

R_PRED = [-2.3, -0.7, 0.15, 0.4, 1.1, 3.6]
R_TRUE = [0.2, -0.1, 0.9, -0.45, 1.3, 0.35]
P_TRUE = [0.0, 1.0, 2.0, 3.0, 0.0, 5.0]
B_PRED = [-3.2, -0.45, 0.3, 0.8, 1.7, 4.1]
B_TRUE = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0]
B_SOFT = [0.1, 0.9, 0.5, 0.0, 1.0, 0.25]
Z = [[1.2, -0.3, 0.5, 2.1], [0.0, 0.7, -1.4, 0.9], [-2.0, 1.1, 0.35, -0.6],
     [0.4, 0.45, 1.9, -0.2], [3.0, -1.0, 0.2, 2.2]]
T = [0, 3, 1, 2, 3]
Q = [[0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.5, 0.0], [0.25, 0.25, 0.25, 0.25],
     [0.7, 0.1, 0.0, 0.2], [0.0, 0.0, 1.0, 0.0]]
W = [1.0, 2.0, 0.5, 3.0]

def vg(fn, pred, *args):
    x = torch.tensor(pred, requires_grad=True)
    v = fn(x, *args)
    v.backward()
    return [v.item(), x.grad.tolist()]

out = {}
rp, rt = R_PRED, torch.tensor(R_TRUE)
out["mse"] = vg(F.mse_loss, rp, rt)
out["mae"] = vg(F.l1_loss, rp, rt)
for d in (0.5, 1.0, 2.0):
    out[f"huber(delta={d})"] = vg(lambda x, y: F.huber_loss(x, y, delta=d), rp, rt)
for b in (0.0, 0.5, 1.0, 2.0):
    out[f"smooth_l1(beta={b})"] = vg(lambda x, y: F.smooth_l1_loss(x, y, beta=b), rp, rt)
out["log_cosh"] = vg(lambda x, y: torch.log(torch.cosh(x - y)).mean(), rp, rt)
for tau in (0.1, 0.5, 0.9):
    out[f"quantile(tau={tau})"] = vg(lambda x, y: torch.maximum(tau * (y - x), (tau - 1) * (y - x)).mean(), rp, rt)
for e in (0.1, 0.5):
    out[f"epsilon_insensitive(epsilon={e})"] = vg(lambda x, y: torch.clamp((x - y).abs() - e, min=0).mean(), rp, rt)
    out[f"squared_epsilon_insensitive(epsilon={e})"] = vg(lambda x, y: (torch.clamp((x - y).abs() - e, min=0) ** 2).mean(), rp, rt)
out["poisson"] = vg(lambda x, y: F.poisson_nll_loss(x, y, log_input=True, full=False), rp, torch.tensor(P_TRUE))

bp, bt, bs = B_PRED, torch.tensor(B_TRUE), torch.tensor(B_SOFT)
out["bce"] = vg(F.binary_cross_entropy_with_logits, bp, bt)
out["bce/soft"] = vg(F.binary_cross_entropy_with_logits, bp, bs)
out["bce(pos_weight=3.0)"] = vg(lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=torch.tensor(3.0)), bp, bt)
out["bce(pos_weight=3.0)/soft"] = vg(lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=torch.tensor(3.0)), bp, bs)

def focal(x, y, gamma, alpha):  # torchvision.ops.sigmoid_focal_loss, re-implemented in torch
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha is not None:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss.mean()
for g, a in ((2.0, 0.25), (0.0, None), (1.0, 0.5), (0.5, 0.25), (2.0, None)):
    out[f"focal(gamma={g}, alpha={a})"] = vg(lambda x, y: focal(x, y, g, a), bp, bt)

ypm = 2 * bt - 1
def stacked(x):
    return torch.stack([torch.zeros_like(x), x], 1)
out["hinge"] = vg(lambda x, y: 2 * F.multi_margin_loss(stacked(x), (y > 0).long()), bp, ypm)
out["squared_hinge"] = vg(lambda x, y: 2 * F.multi_margin_loss(stacked(x), (y > 0).long(), p=2), bp, ypm)
out["perceptron"] = vg(lambda x, y: torch.clamp(-y * x, min=0).mean(), bp, ypm)
out["exponential"] = vg(lambda x, y: torch.exp(-y * x).mean(), bp, ypm)
def mhuber(x, y):
    m = y * x
    return torch.where(m >= -1, torch.clamp(1 - m, min=0) ** 2, -4 * m).mean()
out["modified_huber"] = vg(mhuber, bp, ypm)

t, w = torch.tensor(T), torch.tensor(W)
out["cross_entropy"] = vg(F.cross_entropy, Z, t)
for ls in (0.1, 0.3):
    out[f"cross_entropy(label_smoothing={ls})"] = vg(lambda x, y: F.cross_entropy(x, y, label_smoothing=ls), Z, t)
out["cross_entropy(class_weight=W)"] = vg(lambda x, y: F.cross_entropy(x, y, weight=w), Z, t)
out["cross_entropy(label_smoothing=0.2, class_weight=W)"] = vg(lambda x, y: F.cross_entropy(x, y, weight=w, label_smoothing=0.2), Z, t)
for p, m in ((1, 1.0), (2, 1.0), (1, 0.5), (2, 0.5)):
    out[f"multi_margin(p={p}, margin={m})"] = vg(lambda x, y: F.multi_margin_loss(x, y, p=p, margin=m), Z, t)
def cs(x, y):
    onehot = F.one_hot(y, x.shape[1]).bool()
    rival = x.masked_fill(onehot, float("-inf")).max(1).values
    return torch.clamp(1 + rival - x.gather(1, y[:, None])[:, 0], min=0).mean()
out["crammer_singer"] = vg(cs, Z, t)
out["kl_div"] = vg(lambda x, q: F.kl_div(F.log_softmax(x, 1), q, reduction="batchmean"), Z, torch.tensor(Q))

# section 6.1 extremes
out["bce/extreme"] = vg(F.binary_cross_entropy_with_logits, [1000.0, -1000.0, 1000.0, -1000.0], torch.tensor([1.0, 0.0, 0.0, 1.0]))
out["cross_entropy/extreme"] = vg(F.cross_entropy, [[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]], torch.tensor([0, 0]))
print(torch.__version__)
json.dump(out, open("/tmp/lossref/ref.json", "w"), indent=1)
'''
