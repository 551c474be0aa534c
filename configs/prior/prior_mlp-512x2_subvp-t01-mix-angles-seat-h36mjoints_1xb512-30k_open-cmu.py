# The default prior's recipe
# (prior_mlp-512x2_subvp-t01-seat-h36mjoints_1xb512-30k_open-cmu.py:
# seated legs, Human3.6M's joint definitions) with part mixing (half of each
# batch takes one pose's legs or arms on another's body) and joint-angle
# perturbation (half of each batch, 10 degrees std, clipped at 25, knees
# never bent backwards past 10). Same data, width, schedule and iterations.
# An opt-in file: on the sitting and crouching poses and on the 4 real
# Human3.6M frames of mmpose's test data it lifts better than the default,
# on Bandai and with detector-like 2D slightly worse (docs/cross_dataset.md,
# "Levers on the default recipe"). It uses the default prior's anchors.
_base_ = ['./prior_mlp-512x2_subvp-t01-seat-h36mjoints_1xb512-30k_open-cmu.py']

model = dict(
    data_preprocessor=dict(augment=dict(mix_prob=0.5, angle_prob=0.5)))
