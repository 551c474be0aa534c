# ZeDO on the open benchmark's test split (h36m-like rig, GT 2D), S=1, with
# the bundled prior and anchors (both from the open train split).
_base_ = ['./zedo_S1_gt2d_h36m.py',
          '../_base_/datasets/open_cmu_h36m_format.py']

test_dataloader = dict(
    dataset=dict(
        data_root='data/open_h36m/h36m-like/',
        ann_file={{_base_.open_test_ann}},
        camera_param_file={{_base_.open_cameras}},
        data_prefix=dict(img='')))
