# The open benchmark: bundled CMU-derived mocap turned into mmpose's
# Human3.6M format by tools/dataset_converters/build_open_benchmark.py.
# One data root per camera rig; annotation files are the same names.
open_data_root = 'data/open_h36m/'
open_train_ann = 'annotation_body3d/fps10/cmu_train.npz'
open_test_ann = 'annotation_body3d/fps10/cmu_test.npz'
open_test_det = 'joint_2d_det_files/cmu_test.npy'
open_cameras = 'annotation_body3d/cameras.pkl'
