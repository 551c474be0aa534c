# zedo_S1_gt2d_h36m.py with the prior trained on the open CMU poses moved to
# Human3.6M's joint definitions (pelvis at the hips' midpoint, joint 9 the
# nose), with seated legs (configs/prior/
# prior_mlp-512x2_subvp-t01-seat-h36mjoints_1xb512-30k_open-cmu.py), and its
# own anchors: for data annotated as Human3.6M is, and for 2D that
# mmpose converted from COCO. docs/cross_dataset.md measures it.
#   python tools/test.py configs/zedo/zedo_S1_gt2d_h36m_h36mjoints-prior.py \
#       checkpoints/prior_mlp-512x2_subvp-t01-seat-h36mjoints_open-cmu.pth
_base_ = ['./zedo_S1_gt2d_h36m.py']

model = dict(
    head=dict(
        prior_checkpoint='checkpoints/'
        'prior_mlp-512x2_subvp-t01-seat-h36mjoints_open-cmu.pth',
        anchors='checkpoints/anchors_open-cmu-h36mjoints_S1.npz'))
