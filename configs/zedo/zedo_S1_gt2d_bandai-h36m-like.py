# ZeDO cross-dataset: the bundled prior and anchors (trained on the open
# benchmark's CMU train split) on the Bandai benchmark's test split, another
# lab's capture with its own skeleton (h36m-like rig, GT 2D, S=1). Build
# the data first: python tools/dataset_converters/build_bandai_benchmark.py
_base_ = ['./zedo_S1_gt2d_open-cmu-h36m-like.py']

test_dataloader = dict(
    dataset=dict(
        data_root='data/bandai_h36m/h36m-like/',
        ann_file='annotation_body3d/fps5/bandai_test.npz'))
