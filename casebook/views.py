"""Pictures of the casebook cases, drawn with :mod:`selcalc.plot` (matplotlib optional).

``VIEWS`` maps a case name to its views; each view is ``(file, caption, draw)`` where
``draw(case)`` returns a matplotlib figure.  The runner saves them next to
``casebook.md`` when matplotlib is installed, and says so when it is not.
"""

from __future__ import annotations

from selcalc import plot


def band(program, lo=-1, hi=1):
    def draw(case):
        return plot.plot_band(case.program(program), lo, hi).figure
    return draw


def bands(*programs, lo=-1, hi=1):
    def draw(case):
        plt = plot._pyplot()
        fig, axes = plt.subplots(1, len(programs), figsize=(4.2 * len(programs), 3.4),
                                 sharey=True, squeeze=False)
        for i, (ax, name) in enumerate(zip(axes[0], programs)):
            plot.plot_band(case.program(name), lo, hi, ax=ax, title=name, legend=i == 0)
        fig.tight_layout()
        return fig
    return draw


def cells(program, box, point=None):
    def draw(case):
        P = case.program(program)
        at = case.points.get(program) if point is None else point
        axes = plot.plot_cells(P, box, point=at)
        axes[0].figure.tight_layout()
        return axes[0].figure
    return draw


def jacobians(program):
    def draw(case):
        return plot.plot_jacobians(case.program(program), case.points[program])
    return draw


BAND = ("Blue: the derivative on each smooth piece; green: the Clarke subgradient at each "
        "kink; orange: the hull of every AD output over all tie-breaking choices (ticks: "
        "the outputs); markers: what each convention returns.")
CELLS = ("Left: the cells where one pattern is selected (the kinks are their boundaries), "
         "the star is the point of interest; right: the Clarke subgradient there (green), "
         "the AD outputs over all tie choices (crosses) and each convention's output.")
JACOBIANS = ("The vertices of the Clarke Jacobian at the tie (conv of these matrices), then "
             "the Jacobian each convention returns; darker means a larger entry.")

VIEWS = {
    "zero": [("zero_band.png", BAND, band("zero"))],
    "c_zero": [("c_zero_bands.png", BAND,
                bands("three_zero", "minus_seven_thirds_zero", "tenth_zero"))],
    "identity": [("identity_band.png", BAND, band("identity"))],
    "theorem1": [("theorem1_bands.png", BAND,
                  bands("relu1", "relu_minus_two", "relu_half"))],
    "clarke_sum_rule": [("clarke_sum_rule_band.png", BAND, band("f"))],
    "minibatch": [("minibatch_bands.png", BAND, bands("J", "K"))],
    "relu_subgradient": [("relu_subgradient_bands.png", BAND, bands("relu1", "relu2"))],
    "sorting": [("sorting_jacobians.png", JACOBIANS, jacobians("sort3"))],
    "max_pooling": [("max_pooling_jacobians.png", JACOBIANS, jacobians("maxpool"))],
    "integration_null_set": [("integration_null_set_cells.png", CELLS,
                              cells("f", ((0, 2), (0, 2))))],
    "lemma1": [("lemma1_cells.png", CELLS, cells("f", ((-1, 1), (-1, 1))))],
    "fermat": [("fermat_band.png", BAND, band("bowl", -2, 2)),
               ("fermat_cells.png", CELLS, cells("l1", ((-1, 1), (-1, 1))))],
    "framework_disagreements": [("framework_disagreements_cells.png", CELLS,
                                 cells("maximum", ((-1, 1), (-1, 1))))],
    "index_closure": [("index_closure_cells.png", CELLS, cells("g", ((-1, 2), (-1, 1))))],
    "kink_curves": [("kink_curves_dist.png", CELLS, cells("dist", ((-1, 3), (-1, 3)))),
                    ("kink_curves_parabola.png", CELLS,
                     cells("parabola", ((-1, 3), (-1, 3))))],
}
