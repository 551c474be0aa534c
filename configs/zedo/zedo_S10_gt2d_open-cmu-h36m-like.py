# ZeDO on the open benchmark (h36m-like rig, GT 2D), S=10 hypotheses.
_base_ = ['./zedo_S1_gt2d_open-cmu-h36m-like.py']

model = dict(
    head=dict(
        num_hypotheses=10))
