/* AF model for the cardiowatch firmware core. GENERATED, do not edit:
 *   python -m cardiowatch.rhythm.train   (writes models/rhythm_af.json and this file)
 * Trees: emlearn 0.23.2 inline C, dtype float, leaf_bits 8.
 * 8 trees, 469 decision nodes, 197 leaves.
 * Features: see src/cardiowatch/rhythm/intervals.py (rr_window_features), in this order.
 * AF probability = cw_rhythm_model_predict_proba(features, n, out, 2) -> out[1].
 * Not a medical device. */
#ifndef CW_RHYTHM_MODEL_H
#define CW_RHYTHM_MODEL_H

#define CW_RHYTHM_WINDOW 32
#define CW_RHYTHM_LOOKAHEAD 16
#define CW_RHYTHM_THRESHOLD_AF 0.400000f
#define CW_RHYTHM_MIN_AF_BEATS 48
#define CW_RHYTHM_MIN_EXIT_BEATS 64
#define CW_RHYTHM_N_FEATURES 11
#define CW_RHYTHM_FEATURE_NRMSSD 0
#define CW_RHYTHM_FEATURE_NMAD_D 1
#define CW_RHYTHM_FEATURE_NMAD_D8 2
#define CW_RHYTHM_FEATURE_TPR 3
#define CW_RHYTHM_FEATURE_NEAR_MEDIAN 4
#define CW_RHYTHM_FEATURE_CV 5
#define CW_RHYTHM_FEATURE_HR_BPM 6
#define CW_RHYTHM_FEATURE_PNN50 7
#define CW_RHYTHM_FEATURE_NIQR 8
#define CW_RHYTHM_FEATURE_AC1_D 9
#define CW_RHYTHM_FEATURE_RMSSD_SD 10


    // !!! This file is generated using emlearn !!!

    #include <stdint.h>
    

static inline int32_t cw_rhythm_model_tree_0(const float *features, int32_t features_length) {
          if (features[7] < 0.435484f) {
              if (features[2] < 0.058728f) {
                  if (features[5] < 0.088227f) {
                      if (features[10] < 1.131911f) {
                          if (features[7] < 0.080645f) {
                              if (features[8] < 0.019262f) {
                                  return 0;
                              } else {
                                  return 1;
                              }
                          } else {
                              if (features[0] < 0.073836f) {
                                  return 1;
                              } else {
                                  return 2;
                              }
                          }
                      } else {
                          if (features[5] < 0.045446f) {
                              if (features[6] < 134.405258f) {
                                  return 0;
                              } else {
                                  return 3;
                              }
                          } else {
                              if (features[4] < 0.671875f) {
                                  return 4;
                              } else {
                                  return 5;
                              }
                          }
                      }
                  } else {
                      if (features[6] < 108.431503f) {
                          if (features[1] < 0.055905f) {
                              if (features[1] < 0.041351f) {
                                  return 0;
                              } else {
                                  return 6;
                              }
                          } else {
                              if (features[9] < -0.228938f) {
                                  return 7;
                              } else {
                                  return 8;
                              }
                          }
                      } else {
                          if (features[2] < 0.014981f) {
                              return 9;
                          } else {
                              if (features[8] < 0.049430f) {
                                  return 10;
                              } else {
                                  return 11;
                              }
                          }
                      }
                  }
              } else {
                  if (features[4] < 0.578125f) {
                      if (features[10] < 0.925318f) {
                          if (features[1] < 0.062860f) {
                              if (features[9] < -0.106663f) {
                                  return 13;
                              } else {
                                  return 14;
                              }
                          } else {
                              return 12;
                          }
                      } else {
                          if (features[0] < 0.087619f) {
                              return 15;
                          } else {
                              if (features[0] < 0.282673f) {
                                  return 16;
                              } else {
                                  return 17;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.057007f) {
                          if (features[9] < -0.548479f) {
                              if (features[6] < 108.002647f) {
                                  return 18;
                              } else {
                                  return 19;
                              }
                          } else {
                              if (features[10] < 1.048190f) {
                                  return 20;
                              } else {
                                  return 21;
                              }
                          }
                      } else {
                          if (features[6] < 105.182976f) {
                              return 22;
                          } else {
                              if (features[8] < 0.076139f) {
                                  return 23;
                              } else {
                                  return 11;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[8] < 0.123621f) {
                  if (features[9] < -0.233389f) {
                      if (features[6] < 58.829445f) {
                          if (features[8] < 0.105065f) {
                              if (features[6] < 58.147404f) {
                                  return 24;
                              } else {
                                  return 25;
                              }
                          } else {
                              if (features[7] < 0.693548f) {
                                  return 21;
                              } else {
                                  return 26;
                              }
                          }
                      } else {
                          if (features[10] < 1.598356f) {
                              if (features[4] < 0.609375f) {
                                  return 27;
                              } else {
                                  return 28;
                              }
                          } else {
                              if (features[7] < 0.661290f) {
                                  return 29;
                              } else {
                                  return 30;
                              }
                          }
                      }
                  } else {
                      if (features[0] < 0.127231f) {
                          if (features[5] < 0.090022f) {
                              if (features[2] < 0.094731f) {
                                  return 0;
                              } else {
                                  return 31;
                              }
                          } else {
                              if (features[3] < 0.516667f) {
                                  return 32;
                              } else {
                                  return 33;
                              }
                          }
                      } else {
                          if (features[3] < 0.483333f) {
                              if (features[1] < 0.073283f) {
                                  return 34;
                              } else {
                                  return 35;
                              }
                          } else {
                              if (features[1] < 0.066077f) {
                                  return 36;
                              } else {
                                  return 37;
                              }
                          }
                      }
                  }
              } else {
                  if (features[1] < 0.340774f) {
                      if (features[1] < 0.079074f) {
                          if (features[9] < -0.159890f) {
                              if (features[6] < 71.975395f) {
                                  return 38;
                              } else {
                                  return 39;
                              }
                          } else {
                              if (features[9] < -0.075904f) {
                                  return 40;
                              } else {
                                  return 5;
                              }
                          }
                      } else {
                          if (features[9] < -0.773607f) {
                              if (features[9] < -0.818548f) {
                                  return 32;
                              } else {
                                  return 41;
                              }
                          } else {
                              if (features[6] < 68.485435f) {
                                  return 42;
                              } else {
                                  return 43;
                              }
                          }
                      }
                  } else {
                      if (features[10] < 1.628755f) {
                          if (features[8] < 0.254281f) {
                              if (features[8] < 0.204423f) {
                                  return 5;
                              } else {
                                  return 44;
                              }
                          } else {
                              if (features[4] < 0.359375f) {
                                  return 45;
                              } else {
                                  return 46;
                              }
                          }
                      } else {
                          if (features[0] < 0.566561f) {
                              if (features[6] < 114.600143f) {
                                  return 47;
                              } else {
                                  return 48;
                              }
                          } else {
                              if (features[10] < 1.688254f) {
                                  return 49;
                              } else {
                                  return 50;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_1(const float *features, int32_t features_length) {
          if (features[4] < 0.484375f) {
              if (features[3] < 0.416667f) {
                  if (features[0] < 0.163076f) {
                      if (features[3] < 0.383333f) {
                          if (features[10] < 0.952268f) {
                              if (features[6] < 102.378677f) {
                                  return 1;
                              } else {
                                  return 4;
                              }
                          } else {
                              if (features[7] < 0.435484f) {
                                  return 51;
                              } else {
                                  return 29;
                              }
                          }
                      } else {
                          if (features[2] < 0.058737f) {
                              if (features[6] < 97.853874f) {
                                  return 18;
                              } else {
                                  return 52;
                              }
                          } else {
                              if (features[9] < -0.112668f) {
                                  return 53;
                              } else {
                                  return 54;
                              }
                          }
                      }
                  } else {
                      if (features[6] < 82.373055f) {
                          if (features[2] < 0.056776f) {
                              if (features[8] < 0.206416f) {
                                  return 14;
                              } else {
                                  return 55;
                              }
                          } else {
                              if (features[0] < 0.209148f) {
                                  return 56;
                              } else {
                                  return 26;
                              }
                          }
                      } else {
                          if (features[6] < 94.504906f) {
                              if (features[9] < -0.419981f) {
                                  return 57;
                              } else {
                                  return 58;
                              }
                          } else {
                              if (features[10] < 1.381429f) {
                                  return 59;
                              } else {
                                  return 60;
                              }
                          }
                      }
                  }
              } else {
                  if (features[9] < -0.745558f) {
                      if (features[2] < 0.533538f) {
                          if (features[10] < 1.756997f) {
                              if (features[6] < 77.612511f) {
                                  return 61;
                              } else {
                                  return 62;
                              }
                          } else {
                              if (features[6] < 76.656281f) {
                                  return 63;
                              } else {
                                  return 15;
                              }
                          }
                      } else {
                          if (features[10] < 1.744500f) {
                              if (features[0] < 0.477148f) {
                                  return 35;
                              } else {
                                  return 64;
                              }
                          } else {
                              if (features[9] < -0.819860f) {
                                  return 18;
                              } else {
                                  return 29;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.061193f) {
                          if (features[0] < 0.093018f) {
                              if (features[1] < 0.045381f) {
                                  return 0;
                              } else {
                                  return 20;
                              }
                          } else {
                              if (features[6] < 102.187126f) {
                                  return 2;
                              } else {
                                  return 59;
                              }
                          }
                      } else {
                          if (features[6] < 70.347794f) {
                              if (features[3] < 0.483333f) {
                                  return 41;
                              } else {
                                  return 65;
                              }
                          } else {
                              if (features[10] < 1.680354f) {
                                  return 66;
                              } else {
                                  return 67;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[2] < 0.057531f) {
                  if (features[0] < 0.080252f) {
                      if (features[1] < 0.042835f) {
                          if (features[5] < 0.006766f) {
                              if (features[10] < 1.405712f) {
                                  return 0;
                              } else {
                                  return 68;
                              }
                          } else {
                              if (features[1] < 0.014467f) {
                                  return 1;
                              } else {
                                  return 0;
                              }
                          }
                      } else {
                          if (features[7] < 0.209677f) {
                              if (features[10] < 1.266927f) {
                                  return 5;
                              } else {
                                  return 69;
                              }
                          } else {
                              if (features[0] < 0.070241f) {
                                  return 1;
                              } else {
                                  return 50;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.044039f) {
                          if (features[2] < 0.028521f) {
                              if (features[1] < 0.028521f) {
                                  return 18;
                              } else {
                                  return 70;
                              }
                          } else {
                              if (features[4] < 0.796875f) {
                                  return 71;
                              } else {
                                  return 50;
                              }
                          }
                      } else {
                          if (features[7] < 0.370968f) {
                              if (features[6] < 98.462105f) {
                                  return 68;
                              } else {
                                  return 11;
                              }
                          } else {
                              if (features[10] < 1.583662f) {
                                  return 72;
                              } else {
                                  return 73;
                              }
                          }
                      }
                  }
              } else {
                  if (features[6] < 107.718613f) {
                      if (features[3] < 0.550000f) {
                          if (features[7] < 0.500000f) {
                              if (features[0] < 0.102520f) {
                                  return 0;
                              } else {
                                  return 73;
                              }
                          } else {
                              if (features[5] < 0.092273f) {
                                  return 74;
                              } else {
                                  return 75;
                              }
                          }
                      } else {
                          if (features[0] < 0.278706f) {
                              if (features[5] < 0.082859f) {
                                  return 71;
                              } else {
                                  return 76;
                              }
                          } else {
                              if (features[1] < 0.284057f) {
                                  return 40;
                              } else {
                                  return 50;
                              }
                          }
                      }
                  } else {
                      if (features[10] < 1.684695f) {
                          if (features[5] < 0.055574f) {
                              return 78;
                          } else {
                              if (features[6] < 112.915237f) {
                                  return 79;
                              } else {
                                  return 80;
                              }
                          }
                      } else {
                          return 77;
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_2(const float *features, int32_t features_length) {
          if (features[1] < 0.071344f) {
              if (features[2] < 0.057665f) {
                  if (features[1] < 0.055972f) {
                      if (features[5] < 0.076989f) {
                          if (features[6] < 112.040131f) {
                              if (features[8] < 0.002439f) {
                                  return 20;
                              } else {
                                  return 1;
                              }
                          } else {
                              if (features[1] < 0.017778f) {
                                  return 81;
                              } else {
                                  return 82;
                              }
                          }
                      } else {
                          if (features[3] < 0.416667f) {
                              if (features[10] < 0.783231f) {
                                  return 1;
                              } else {
                                  return 31;
                              }
                          } else {
                              if (features[9] < -0.559257f) {
                                  return 83;
                              } else {
                                  return 81;
                              }
                          }
                      }
                  } else {
                      if (features[5] < 0.077632f) {
                          if (features[3] < 0.516667f) {
                              if (features[9] < -0.175771f) {
                                  return 84;
                              } else {
                                  return 18;
                              }
                          } else {
                              if (features[6] < 68.049286f) {
                                  return 14;
                              } else {
                                  return 85;
                              }
                          }
                      } else {
                          if (features[7] < 0.403226f) {
                              if (features[9] < -0.124629f) {
                                  return 86;
                              } else {
                                  return 87;
                              }
                          } else {
                              if (features[10] < 1.130884f) {
                                  return 88;
                              } else {
                                  return 89;
                              }
                          }
                      }
                  }
              } else {
                  if (features[1] < 0.057531f) {
                      if (features[1] < 0.043419f) {
                          if (features[5] < 0.255111f) {
                              if (features[9] < -0.543352f) {
                                  return 24;
                              } else {
                                  return 73;
                              }
                          } else {
                              if (features[8] < 0.316497f) {
                                  return 29;
                              } else {
                                  return 90;
                              }
                          }
                      } else {
                          if (features[6] < 105.499077f) {
                              if (features[2] < 0.091576f) {
                                  return 20;
                              } else {
                                  return 91;
                              }
                          } else {
                              if (features[10] < 1.423322f) {
                                  return 11;
                              } else {
                                  return 92;
                              }
                          }
                      }
                  } else {
                      if (features[6] < 101.574715f) {
                          if (features[6] < 58.702972f) {
                              if (features[8] < 0.153702f) {
                                  return 14;
                              } else {
                                  return 69;
                              }
                          } else {
                              if (features[5] < 0.076935f) {
                                  return 57;
                              } else {
                                  return 93;
                              }
                          }
                      } else {
                          if (features[9] < -0.569088f) {
                              return 94;
                          } else {
                              if (features[0] < 0.224938f) {
                                  return 95;
                              } else {
                                  return 96;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[1] < 0.336350f) {
                  if (features[0] < 0.125538f) {
                      if (features[0] < 0.108039f) {
                          if (features[6] < 71.338181f) {
                              if (features[9] < -0.294343f) {
                                  return 97;
                              } else {
                                  return 18;
                              }
                          } else {
                              if (features[6] < 112.040260f) {
                                  return 98;
                              } else {
                                  return 99;
                              }
                          }
                      } else {
                          if (features[7] < 0.629032f) {
                              if (features[6] < 71.817657f) {
                                  return 72;
                              } else {
                                  return 100;
                              }
                          } else {
                              if (features[7] < 0.758065f) {
                                  return 101;
                              } else {
                                  return 29;
                              }
                          }
                      }
                  } else {
                      if (features[9] < -0.757593f) {
                          if (features[6] < 75.980827f) {
                              if (features[10] < 1.758325f) {
                                  return 44;
                              } else {
                                  return 31;
                              }
                          } else {
                              if (features[7] < 0.661290f) {
                                  return 97;
                              } else {
                                  return 9;
                              }
                          }
                      } else {
                          if (features[3] < 0.450000f) {
                              if (features[7] < 0.500000f) {
                                  return 59;
                              } else {
                                  return 102;
                              }
                          } else {
                              if (features[4] < 0.484375f) {
                                  return 66;
                              } else {
                                  return 103;
                              }
                          }
                      }
                  }
              } else {
                  if (features[10] < 1.657412f) {
                      if (features[1] < 0.425268f) {
                          if (features[10] < 1.521497f) {
                              if (features[8] < 0.210609f) {
                                  return 32;
                              } else {
                                  return 60;
                              }
                          } else {
                              if (features[8] < 0.223888f) {
                                  return 6;
                              } else {
                                  return 104;
                              }
                          }
                      } else {
                          if (features[8] < 0.342265f) {
                              return 73;
                          } else {
                              if (features[7] < 0.854839f) {
                                  return 7;
                              } else {
                                  return 105;
                              }
                          }
                      }
                  } else {
                      if (features[4] < 0.265625f) {
                          if (features[8] < 0.520959f) {
                              if (features[6] < 61.210598f) {
                                  return 58;
                              } else {
                                  return 106;
                              }
                          } else {
                              if (features[10] < 1.722326f) {
                                  return 107;
                              } else {
                                  return 50;
                              }
                          }
                      } else {
                          if (features[6] < 83.805634f) {
                              if (features[3] < 0.716667f) {
                                  return 83;
                              } else {
                                  return 32;
                              }
                          } else {
                              if (features[2] < 0.428189f) {
                                  return 68;
                              } else {
                                  return 106;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_3(const float *features, int32_t features_length) {
          if (features[4] < 0.484375f) {
              if (features[0] < 0.123766f) {
                  if (features[0] < 0.098291f) {
                      if (features[0] < 0.084431f) {
                          if (features[10] < 0.909636f) {
                              if (features[6] < 102.165871f) {
                                  return 1;
                              } else {
                                  return 108;
                              }
                          } else {
                              if (features[2] < 0.050463f) {
                                  return 97;
                              } else {
                                  return 5;
                              }
                          }
                      } else {
                          if (features[9] < 0.066200f) {
                              if (features[8] < 0.175604f) {
                                  return 34;
                              } else {
                                  return 14;
                              }
                          } else {
                              if (features[7] < 0.306452f) {
                                  return 88;
                              } else {
                                  return 0;
                              }
                          }
                      }
                  } else {
                      if (features[7] < 0.338710f) {
                          if (features[1] < 0.047207f) {
                              if (features[6] < 82.650078f) {
                                  return 1;
                              } else {
                                  return 109;
                              }
                          } else {
                              if (features[10] < 1.034350f) {
                                  return 110;
                              } else {
                                  return 95;
                              }
                          }
                      } else {
                          if (features[0] < 0.114349f) {
                              if (features[7] < 0.629032f) {
                                  return 21;
                              } else {
                                  return 63;
                              }
                          } else {
                              if (features[3] < 0.516667f) {
                                  return 111;
                              } else {
                                  return 112;
                              }
                          }
                      }
                  }
              } else {
                  if (features[10] < 1.693799f) {
                      if (features[3] < 0.416667f) {
                          if (features[1] < 0.058716f) {
                              if (features[10] < 1.345122f) {
                                  return 2;
                              } else {
                                  return 83;
                              }
                          } else {
                              if (features[2] < 0.194134f) {
                                  return 78;
                              } else {
                                  return 113;
                              }
                          }
                      } else {
                          if (features[4] < 0.078125f) {
                              if (features[1] < 0.381864f) {
                                  return 114;
                              } else {
                                  return 67;
                              }
                          } else {
                              if (features[0] < 0.399287f) {
                                  return 66;
                              } else {
                                  return 115;
                              }
                          }
                      }
                  } else {
                      if (features[0] < 0.502064f) {
                          if (features[10] < 1.748427f) {
                              if (features[3] < 0.616667f) {
                                  return 22;
                              } else {
                                  return 116;
                              }
                          } else {
                              if (features[4] < 0.296875f) {
                                  return 117;
                              } else {
                                  return 118;
                              }
                          }
                      } else {
                          if (features[0] < 0.573540f) {
                              if (features[1] < 0.434442f) {
                                  return 119;
                              } else {
                                  return 73;
                              }
                          } else {
                              if (features[2] < 0.426722f) {
                                  return 120;
                              } else {
                                  return 24;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[7] < 0.500000f) {
                  if (features[8] < 0.100689f) {
                      if (features[1] < 0.056550f) {
                          if (features[0] < 0.063874f) {
                              if (features[6] < 136.647217f) {
                                  return 1;
                              } else {
                                  return 121;
                              }
                          } else {
                              if (features[9] < -0.519888f) {
                                  return 24;
                              } else {
                                  return 57;
                              }
                          }
                      } else {
                          if (features[5] < 0.153239f) {
                              if (features[1] < 0.070692f) {
                                  return 82;
                              } else {
                                  return 99;
                              }
                          } else {
                              if (features[8] < 0.078336f) {
                                  return 122;
                              } else {
                                  return 123;
                              }
                          }
                      }
                  } else {
                      if (features[10] < 1.035504f) {
                          if (features[6] < 114.280411f) {
                              if (features[2] < 0.106237f) {
                                  return 0;
                              } else {
                                  return 125;
                              }
                          } else {
                              return 124;
                          }
                      } else {
                          if (features[6] < 102.570969f) {
                              if (features[2] < 0.038400f) {
                                  return 20;
                              } else {
                                  return 15;
                              }
                          } else {
                              if (features[9] < -0.636607f) {
                                  return 113;
                              } else {
                                  return 126;
                              }
                          }
                      }
                  }
              } else {
                  if (features[5] < 0.084557f) {
                      if (features[5] < 0.073745f) {
                          if (features[0] < 0.095043f) {
                              if (features[0] < 0.088247f) {
                                  return 0;
                              } else {
                                  return 32;
                              }
                          } else {
                              if (features[1] < 0.065078f) {
                                  return 57;
                              } else {
                                  return 47;
                              }
                          }
                      } else {
                          if (features[10] < 1.304885f) {
                              if (features[10] < 1.210612f) {
                                  return 24;
                              } else {
                                  return 22;
                              }
                          } else {
                              if (features[6] < 63.372875f) {
                                  return 5;
                              } else {
                                  return 127;
                              }
                          }
                      }
                  } else {
                      if (features[5] < 0.172184f) {
                          if (features[9] < -0.184328f) {
                              if (features[10] < 1.650785f) {
                                  return 128;
                              } else {
                                  return 25;
                              }
                          } else {
                              if (features[0] < 0.134519f) {
                                  return 73;
                              } else {
                                  return 72;
                              }
                          }
                      } else {
                          if (features[0] < 0.292156f) {
                              if (features[8] < 0.098234f) {
                                  return 46;
                              } else {
                                  return 27;
                              }
                          } else {
                              if (features[8] < 0.107674f) {
                                  return 20;
                              } else {
                                  return 77;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_4(const float *features, int32_t features_length) {
          if (features[1] < 0.070768f) {
              if (features[6] < 112.915237f) {
                  if (features[2] < 0.056294f) {
                      if (features[10] < 1.114561f) {
                          if (features[8] < 0.531203f) {
                              if (features[1] < 0.057061f) {
                                  return 1;
                              } else {
                                  return 88;
                              }
                          } else {
                              return 38;
                          }
                      } else {
                          if (features[7] < 0.435484f) {
                              if (features[4] < 0.765625f) {
                                  return 31;
                              } else {
                                  return 0;
                              }
                          } else {
                              if (features[1] < 0.056439f) {
                                  return 32;
                              } else {
                                  return 38;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.056294f) {
                          if (features[8] < 0.287842f) {
                              if (features[9] < -0.106944f) {
                                  return 108;
                              } else {
                                  return 18;
                              }
                          } else {
                              if (features[10] < 0.500164f) {
                                  return 83;
                              } else {
                                  return 129;
                              }
                          }
                      } else {
                          if (features[0] < 0.110999f) {
                              if (features[0] < 0.096083f) {
                                  return 50;
                              } else {
                                  return 130;
                              }
                          } else {
                              if (features[7] < 0.435484f) {
                                  return 131;
                              } else {
                                  return 89;
                              }
                          }
                      }
                  }
              } else {
                  if (features[7] < 0.080645f) {
                      if (features[1] < 0.017621f) {
                          if (features[7] < 0.016129f) {
                              if (features[6] < 130.411270f) {
                                  return 74;
                              } else {
                                  return 55;
                              }
                          } else {
                              return 69;
                          }
                      } else {
                          if (features[3] < 0.483333f) {
                              if (features[8] < 0.019804f) {
                                  return 133;
                              } else {
                                  return 134;
                              }
                          } else {
                              return 132;
                          }
                      }
                  } else {
                      if (features[0] < 0.062948f) {
                          return 35;
                      } else {
                          if (features[9] < -0.638279f) {
                              return 135;
                          } else {
                              if (features[8] < 0.044888f) {
                                  return 136;
                              } else {
                                  return 80;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[9] < -0.731327f) {
                  if (features[6] < 113.856850f) {
                      if (features[1] < 0.317127f) {
                          if (features[10] < 1.757243f) {
                              if (features[4] < 0.359375f) {
                                  return 137;
                              } else {
                                  return 33;
                              }
                          } else {
                              if (features[10] < 1.795740f) {
                                  return 138;
                              } else {
                                  return 50;
                              }
                          }
                      } else {
                          if (features[0] < 0.567957f) {
                              if (features[4] < 0.296875f) {
                                  return 44;
                              } else {
                                  return 70;
                              }
                          } else {
                              if (features[5] < 0.399558f) {
                                  return 14;
                              } else {
                                  return 122;
                              }
                          }
                      }
                  } else {
                      if (features[6] < 131.739487f) {
                          if (features[10] < 1.762496f) {
                              return 140;
                          } else {
                              return 21;
                          }
                      } else {
                          return 139;
                      }
                  }
              } else {
                  if (features[10] < 1.661379f) {
                      if (features[0] < 0.119298f) {
                          if (features[5] < 0.076067f) {
                              if (features[6] < 67.936417f) {
                                  return 14;
                              } else {
                                  return 82;
                              }
                          } else {
                              if (features[3] < 0.550000f) {
                                  return 141;
                              } else {
                                  return 142;
                              }
                          }
                      } else {
                          if (features[5] < 0.257609f) {
                              if (features[3] < 0.450000f) {
                                  return 52;
                              } else {
                                  return 43;
                              }
                          } else {
                              if (features[10] < 1.535612f) {
                                  return 143;
                              } else {
                                  return 144;
                              }
                          }
                      }
                  } else {
                      if (features[4] < 0.390625f) {
                          if (features[1] < 0.322447f) {
                              if (features[6] < 72.250481f) {
                                  return 145;
                              } else {
                                  return 79;
                              }
                          } else {
                              if (features[4] < 0.265625f) {
                                  return 106;
                              } else {
                                  return 146;
                              }
                          }
                      } else {
                          if (features[2] < 0.287032f) {
                              if (features[0] < 0.274432f) {
                                  return 147;
                              } else {
                                  return 122;
                              }
                          } else {
                              if (features[6] < 108.984566f) {
                                  return 32;
                              } else {
                                  return 148;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_5(const float *features, int32_t features_length) {
          if (features[1] < 0.071344f) {
              if (features[5] < 0.080821f) {
                  if (features[10] < 1.254532f) {
                      if (features[0] < 0.075275f) {
                          if (features[2] < 0.057911f) {
                              if (features[10] < 1.015540f) {
                                  return 1;
                              } else {
                                  return 0;
                              }
                          } else {
                              if (features[7] < 0.177419f) {
                                  return 31;
                              } else {
                                  return 0;
                              }
                          }
                      } else {
                          if (features[8] < 0.126729f) {
                              if (features[5] < 0.067366f) {
                                  return 5;
                              } else {
                                  return 150;
                              }
                          } else {
                              return 149;
                          }
                      }
                  } else {
                      if (features[5] < 0.046985f) {
                          if (features[6] < 134.442047f) {
                              if (features[5] < 0.042540f) {
                                  return 0;
                              } else {
                                  return 31;
                              }
                          } else {
                              return 151;
                          }
                      } else {
                          if (features[8] < 0.043433f) {
                              if (features[6] < 109.640877f) {
                                  return 0;
                              } else {
                                  return 152;
                              }
                          } else {
                              if (features[1] < 0.028335f) {
                                  return 83;
                              } else {
                                  return 21;
                              }
                          }
                      }
                  }
              } else {
                  if (features[3] < 0.450000f) {
                      if (features[0] < 0.081786f) {
                          if (features[6] < 105.908218f) {
                              if (features[0] < 0.062526f) {
                                  return 1;
                              } else {
                                  return 1;
                              }
                          } else {
                              return 153;
                          }
                      } else {
                          if (features[1] < 0.042497f) {
                              if (features[10] < 1.369763f) {
                                  return 29;
                              } else {
                                  return 18;
                              }
                          } else {
                              if (features[6] < 100.167213f) {
                                  return 68;
                              } else {
                                  return 43;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.056049f) {
                          if (features[10] < 1.530427f) {
                              if (features[4] < 0.796875f) {
                                  return 13;
                              } else {
                                  return 31;
                              }
                          } else {
                              if (features[1] < 0.039920f) {
                                  return 0;
                              } else {
                                  return 20;
                              }
                          }
                      } else {
                          if (features[8] < 0.066019f) {
                              if (features[6] < 65.579720f) {
                                  return 154;
                              } else {
                                  return 117;
                              }
                          } else {
                              if (features[7] < 0.435484f) {
                                  return 16;
                              } else {
                                  return 155;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[10] < 1.670295f) {
                  if (features[4] < 0.484375f) {
                      if (features[5] < 0.264998f) {
                          if (features[9] < -0.044636f) {
                              if (features[6] < 68.219292f) {
                                  return 12;
                              } else {
                                  return 11;
                              }
                          } else {
                              if (features[6] < 72.559792f) {
                                  return 81;
                              } else {
                                  return 156;
                              }
                          }
                      } else {
                          if (features[6] < 88.738045f) {
                              if (features[1] < 0.371603f) {
                                  return 157;
                              } else {
                                  return 158;
                              }
                          } else {
                              if (features[3] < 0.716667f) {
                                  return 66;
                              } else {
                                  return 157;
                              }
                          }
                      }
                  } else {
                      if (features[2] < 0.313927f) {
                          if (features[10] < 1.591073f) {
                              if (features[9] < -0.207701f) {
                                  return 60;
                              } else {
                                  return 85;
                              }
                          } else {
                              if (features[3] < 0.616667f) {
                                  return 91;
                              } else {
                                  return 159;
                              }
                          }
                      } else {
                          if (features[6] < 104.378853f) {
                              if (features[0] < 0.272560f) {
                                  return 161;
                              } else {
                                  return 57;
                              }
                          } else {
                              return 160;
                          }
                      }
                  }
              } else {
                  if (features[1] < 0.323848f) {
                      if (features[2] < 0.052870f) {
                          if (features[3] < 0.616667f) {
                              if (features[8] < 0.094867f) {
                                  return 0;
                              } else {
                                  return 32;
                              }
                          } else {
                              if (features[7] < 0.693548f) {
                                  return 63;
                              } else {
                                  return 138;
                              }
                          }
                      } else {
                          if (features[4] < 0.390625f) {
                              if (features[9] < -0.819663f) {
                                  return 32;
                              } else {
                                  return 92;
                              }
                          } else {
                              if (features[0] < 0.277188f) {
                                  return 33;
                              } else {
                                  return 73;
                              }
                          }
                      }
                  } else {
                      if (features[4] < 0.265625f) {
                          if (features[10] < 1.763608f) {
                              if (features[0] < 0.524868f) {
                                  return 30;
                              } else {
                                  return 21;
                              }
                          } else {
                              if (features[8] < 0.519641f) {
                                  return 69;
                              } else {
                                  return 18;
                              }
                          }
                      } else {
                          if (features[7] < 0.887097f) {
                              if (features[2] < 0.073350f) {
                                  return 0;
                              } else {
                                  return 6;
                              }
                          } else {
                              if (features[9] < -0.610144f) {
                                  return 162;
                              } else {
                                  return 24;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_6(const float *features, int32_t features_length) {
          if (features[0] < 0.137823f) {
              if (features[1] < 0.058737f) {
                  if (features[6] < 112.967140f) {
                      if (features[0] < 0.089219f) {
                          if (features[0] < 0.071069f) {
                              if (features[6] < 110.777557f) {
                                  return 1;
                              } else {
                                  return 32;
                              }
                          } else {
                              if (features[10] < 1.017761f) {
                                  return 0;
                              } else {
                                  return 14;
                              }
                          }
                      } else {
                          if (features[2] < 0.028335f) {
                              if (features[1] < 0.038797f) {
                                  return 0;
                              } else {
                                  return 163;
                              }
                          } else {
                              if (features[6] < 103.718086f) {
                                  return 73;
                              } else {
                                  return 164;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.018100f) {
                          if (features[0] < 0.058310f) {
                              if (features[10] < 0.707667f) {
                                  return 0;
                              } else {
                                  return 71;
                              }
                          } else {
                              return 165;
                          }
                      } else {
                          if (features[0] < 0.062984f) {
                              if (features[3] < 0.483333f) {
                                  return 166;
                              } else {
                                  return 97;
                              }
                          } else {
                              if (features[5] < 0.056119f) {
                                  return 167;
                              } else {
                                  return 126;
                              }
                          }
                      }
                  }
              } else {
                  if (features[5] < 0.080896f) {
                      if (features[6] < 109.397102f) {
                          if (features[6] < 63.381042f) {
                              if (features[0] < 0.105205f) {
                                  return 1;
                              } else {
                                  return 74;
                              }
                          } else {
                              if (features[0] < 0.093194f) {
                                  return 20;
                              } else {
                                  return 168;
                              }
                          }
                      } else {
                          if (features[4] < 0.640625f) {
                              return 169;
                          } else {
                              return 160;
                          }
                      }
                  } else {
                      if (features[6] < 67.230202f) {
                          if (features[9] < -0.290134f) {
                              if (features[0] < 0.111859f) {
                                  return 71;
                              } else {
                                  return 170;
                              }
                          } else {
                              if (features[6] < 59.832016f) {
                                  return 14;
                              } else {
                                  return 120;
                              }
                          }
                      } else {
                          if (features[0] < 0.102975f) {
                              if (features[7] < 0.338710f) {
                                  return 12;
                              } else {
                                  return 163;
                              }
                          } else {
                              if (features[9] < -0.051176f) {
                                  return 100;
                              } else {
                                  return 171;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[2] < 0.037677f) {
                  if (features[7] < 0.500000f) {
                      if (features[1] < 0.059613f) {
                          if (features[10] < 1.374457f) {
                              if (features[6] < 103.217155f) {
                                  return 20;
                              } else {
                                  return 58;
                              }
                          } else {
                              if (features[1] < 0.042350f) {
                                  return 0;
                              } else {
                                  return 13;
                              }
                          }
                      } else {
                          if (features[8] < 0.083667f) {
                              return 109;
                          } else {
                              if (features[0] < 0.240335f) {
                                  return 59;
                              } else {
                                  return 131;
                              }
                          }
                      }
                  } else {
                      if (features[2] < 0.027134f) {
                          if (features[10] < 1.541507f) {
                              if (features[8] < 0.088970f) {
                                  return 172;
                              } else {
                                  return 173;
                              }
                          } else {
                              if (features[9] < -0.780171f) {
                                  return 1;
                              } else {
                                  return 120;
                              }
                          }
                      } else {
                          if (features[1] < 0.072119f) {
                              if (features[0] < 0.234510f) {
                                  return 174;
                              } else {
                                  return 32;
                              }
                          } else {
                              if (features[9] < -0.652619f) {
                                  return 175;
                              } else {
                                  return 161;
                              }
                          }
                      }
                  }
              } else {
                  if (features[7] < 0.435484f) {
                      if (features[1] < 0.053524f) {
                          if (features[10] < 1.423441f) {
                              if (features[0] < 0.182160f) {
                                  return 153;
                              } else {
                                  return 130;
                              }
                          } else {
                              if (features[6] < 108.050125f) {
                                  return 18;
                              } else {
                                  return 176;
                              }
                          }
                      } else {
                          if (features[4] < 0.609375f) {
                              if (features[0] < 0.314895f) {
                                  return 80;
                              } else {
                                  return 164;
                              }
                          } else {
                              if (features[9] < -0.503875f) {
                                  return 177;
                              } else {
                                  return 178;
                              }
                          }
                      }
                  } else {
                      if (features[8] < 0.097390f) {
                          if (features[5] < 0.152763f) {
                              if (features[1] < 0.064763f) {
                                  return 179;
                              } else {
                                  return 180;
                              }
                          } else {
                              if (features[0] < 0.252358f) {
                                  return 112;
                              } else {
                                  return 32;
                              }
                          }
                      } else {
                          if (features[8] < 0.504211f) {
                              if (features[4] < 0.453125f) {
                                  return 181;
                              } else {
                                  return 182;
                              }
                          } else {
                              if (features[9] < -0.614118f) {
                                  return 183;
                              } else {
                                  return 45;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_7(const float *features, int32_t features_length) {
          if (features[2] < 0.057531f) {
              if (features[1] < 0.065011f) {
                  if (features[0] < 0.072769f) {
                      if (features[8] < 0.019721f) {
                          if (features[7] < 0.048387f) {
                              if (features[1] < 0.017506f) {
                                  return 0;
                              } else {
                                  return 68;
                              }
                          } else {
                              if (features[2] < 0.014679f) {
                                  return 24;
                              } else {
                                  return 32;
                              }
                          }
                      } else {
                          if (features[0] < 0.063748f) {
                              if (features[9] < -0.329407f) {
                                  return 0;
                              } else {
                                  return 1;
                              }
                          } else {
                              if (features[4] < 0.703125f) {
                                  return 18;
                              } else {
                                  return 5;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.043411f) {
                          if (features[6] < 107.671417f) {
                              if (features[6] < 103.674332f) {
                                  return 0;
                              } else {
                                  return 146;
                              }
                          } else {
                              if (features[6] < 112.811569f) {
                                  return 184;
                              } else {
                                  return 185;
                              }
                          }
                      } else {
                          if (features[6] < 103.871529f) {
                              if (features[9] < -0.179693f) {
                                  return 56;
                              } else {
                                  return 74;
                              }
                          } else {
                              if (features[6] < 110.280464f) {
                                  return 186;
                              } else {
                                  return 126;
                              }
                          }
                      }
                  }
              } else {
                  if (features[9] < -0.649482f) {
                      if (features[0] < 0.312022f) {
                          if (features[4] < 0.453125f) {
                              if (features[2] < 0.036664f) {
                                  return 85;
                              } else {
                                  return 187;
                              }
                          } else {
                              if (features[5] < 0.102078f) {
                                  return 64;
                              } else {
                                  return 149;
                              }
                          }
                      } else {
                          if (features[10] < 1.661211f) {
                              if (features[6] < 84.555428f) {
                                  return 69;
                              } else {
                                  return 188;
                              }
                          } else {
                              if (features[4] < 0.359375f) {
                                  return 88;
                              } else {
                                  return 24;
                              }
                          }
                      }
                  } else {
                      if (features[8] < 0.113109f) {
                          if (features[6] < 109.763306f) {
                              if (features[0] < 0.268617f) {
                                  return 134;
                              } else {
                                  return 5;
                              }
                          } else {
                              if (features[6] < 130.619263f) {
                                  return 96;
                              } else {
                                  return 169;
                              }
                          }
                      } else {
                          if (features[0] < 0.124079f) {
                              if (features[7] < 0.500000f) {
                                  return 156;
                              } else {
                                  return 189;
                              }
                          } else {
                              if (features[2] < 0.027073f) {
                                  return 190;
                              } else {
                                  return 79;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[9] < -0.085382f) {
                  if (features[1] < 0.071331f) {
                      if (features[6] < 105.635078f) {
                          if (features[1] < 0.056294f) {
                              if (features[8] < 0.246337f) {
                                  return 63;
                              } else {
                                  return 179;
                              }
                          } else {
                              if (features[6] < 59.355152f) {
                                  return 68;
                              } else {
                                  return 191;
                              }
                          }
                      } else {
                          if (features[6] < 109.543129f) {
                              return 173;
                          } else {
                              if (features[5] < 0.056175f) {
                                  return 192;
                              } else {
                                  return 43;
                              }
                          }
                      }
                  } else {
                      if (features[0] < 0.406392f) {
                          if (features[9] < -0.757080f) {
                              if (features[10] < 1.757341f) {
                                  return 193;
                              } else {
                                  return 70;
                              }
                          } else {
                              if (features[4] < 0.484375f) {
                                  return 66;
                              } else {
                                  return 144;
                              }
                          }
                      } else {
                          if (features[1] < 0.373389f) {
                              if (features[8] < 0.146544f) {
                                  return 69;
                              } else {
                                  return 194;
                              }
                          } else {
                              if (features[9] < -0.649091f) {
                                  return 69;
                              } else {
                                  return 170;
                              }
                          }
                      }
                  }
              } else {
                  if (features[6] < 93.891121f) {
                      if (features[5] < 0.178496f) {
                          if (features[0] < 0.135668f) {
                              if (features[1] < 0.087357f) {
                                  return 0;
                              } else {
                                  return 6;
                              }
                          } else {
                              if (features[3] < 0.483333f) {
                                  return 64;
                              } else {
                                  return 103;
                              }
                          }
                      } else {
                          if (features[2] < 0.141901f) {
                              if (features[0] < 0.186072f) {
                                  return 88;
                              } else {
                                  return 180;
                              }
                          } else {
                              if (features[1] < 0.131658f) {
                                  return 195;
                              } else {
                                  return 110;
                              }
                          }
                      }
                  } else {
                      if (features[6] < 99.801018f) {
                          if (features[10] < 1.003056f) {
                              return 196;
                          } else {
                              return 80;
                          }
                      } else {
                          if (features[10] < 0.901192f) {
                              return 65;
                          } else {
                              if (features[6] < 105.544350f) {
                                  return 80;
                              } else {
                                  return 169;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static const uint8_t cw_rhythm_model_leaves[394] = { 254, 1, 255, 0, 223, 32, 116, 139, 166, 89, 245, 10, 241, 14, 97, 158, 190, 65, 118, 137, 64, 191, 5, 250, 26, 229, 222, 33, 250, 5, 210, 45, 21, 234, 123, 132, 253, 2, 132, 123, 246, 9, 216, 39, 226, 29, 24, 231, 251, 4, 219, 36, 140, 115, 61, 194, 146, 109, 239, 16, 139, 116, 247, 8, 243, 12, 183, 72, 217, 38, 133, 122, 164, 91, 46, 209, 189, 66, 95, 160, 207, 48, 147, 108, 34, 221, 8, 247, 188, 67, 71, 184, 187, 68, 196, 59, 89, 166, 192, 63, 249, 6, 127, 128, 69, 186, 99, 156, 225, 30, 224, 31, 213, 42, 232, 23, 31, 224, 6, 249, 45, 210, 172, 83, 88, 167, 244, 11, 229, 26, 32, 223, 9, 246, 136, 119, 240, 15, 209, 46, 234, 21, 235, 20, 144, 111, 238, 17, 248, 7, 150, 105, 73, 182, 208, 47, 101, 154, 25, 230, 3, 252, 237, 18, 100, 155, 252, 3, 199, 56, 167, 88, 12, 243, 107, 148, 227, 28, 154, 101, 179, 76, 215, 40, 52, 203, 160, 95, 72, 183, 2, 253, 20, 235, 220, 35, 135, 120, 11, 244, 13, 242, 162, 93, 80, 175, 74, 181, 90, 165, 157, 98, 159, 96, 211, 44, 242, 13, 178, 77, 35, 220, 218, 37, 122, 133, 33, 222, 38, 217, 51, 204, 109, 146, 200, 55, 233, 22, 151, 104, 230, 25, 105, 150, 236, 19, 121, 134, 42, 213, 202, 53, 4, 251, 93, 162, 48, 207, 185, 70, 204, 51, 76, 179, 205, 50, 68, 187, 114, 141, 96, 159, 43, 212, 59, 196, 201, 54, 16, 239, 17, 238, 197, 58, 120, 135, 27, 228, 83, 172, 78, 177, 228, 27, 128, 127, 194, 61, 175, 80, 231, 24, 119, 136, 77, 178, 180, 75, 152, 103, 149, 106, 10, 245, 36, 219, 134, 121, 129, 126, 28, 227, 47, 208, 195, 60, 221, 34, 29, 226, 56, 199, 87, 168, 62, 193, 113, 142, 0, 255, 115, 140, 170, 85, 206, 49, 108, 147, 169, 86, 203, 52, 85, 170, 63, 192, 18, 237, 184, 71, 57, 198, 14, 241, 81, 174, 198, 57, 138, 117, 22, 233, 39, 216, 70, 185, 102, 153, 214, 41, 92, 163, 148, 107, 112, 143, 130, 125, 37, 218, 94, 161, 176, 79 };

static inline int32_t cw_rhythm_model_predict(const float *features, int32_t features_length) {

        float out[2] = {0.0f,};

        int offset = 0;

        offset = 2*cw_rhythm_model_tree_0(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_1(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_2(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_3(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_4(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_5(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_6(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_7(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    
        // argmax over probabilities
        int32_t most_voted_class = -1;
        float most_voted_proba = 0.0f;
        for (int32_t i=0; i<2; i++) {

            if (out[i] > most_voted_proba) {
                most_voted_class = i;
                most_voted_proba = out[i];
            }
        }
        return most_voted_class;
    }
    

static inline int cw_rhythm_model_predict_proba(const float *features, int32_t features_length, float *out, int out_length) {

        int offset = 0;

        for (int i=0; i<out_length; i++) {
            out[i] = 0.0f;
        }

        offset = 2*cw_rhythm_model_tree_0(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_1(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_2(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_3(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_4(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_5(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_6(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    offset = 2*cw_rhythm_model_tree_7(features, features_length);
            for (int i=0; i<2; i++) { out[i] += (cw_rhythm_model_leaves[offset+i]/255.0f); }
        
    
        // compute mean
        for (int i=0; i<out_length; i++) {
            out[i] = out[i] / 8;
        }
        return 0;
    }
    

#endif /* CW_RHYTHM_MODEL_H */
