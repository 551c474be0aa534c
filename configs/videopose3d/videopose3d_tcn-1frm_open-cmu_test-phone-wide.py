# Cross-rig test: the VideoPose3D trained on the h36m-like rig, tested on the
# same test sequences seen by the wide phone-like rig (GT 2D).
_base_ = ['./videopose3d_tcn-1frm_1xb1024-12e_open-cmu-h36m-like.py']

test_dataloader = dict(
    dataset=dict(data_root='data/open_h36m/phone-wide/'))
