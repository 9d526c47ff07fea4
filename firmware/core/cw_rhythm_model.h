/* AF model for the cardiowatch firmware core. GENERATED, do not edit:
 *   python -m cardiowatch.rhythm.train   (writes models/rhythm_af.json and this file)
 * Trees: emlearn 0.23.2 inline C, dtype float, leaf_bits 8.
 * 8 trees, 474 decision nodes, 191 leaves.
 * Features: see src/cardiowatch/rhythm/intervals.py (rr_window_features), in this order.
 * AF probability = cw_rhythm_model_predict_proba(features, n, out, 2) -> out[1].
 * Not a medical device. */
#ifndef CW_RHYTHM_MODEL_H
#define CW_RHYTHM_MODEL_H

#define CW_RHYTHM_WINDOW 32
#define CW_RHYTHM_LOOKAHEAD 16
#define CW_RHYTHM_THRESHOLD_AF 0.900000f
#define CW_RHYTHM_THRESHOLD_AF_EXIT 0.300000f
#define CW_RHYTHM_MIN_AF_BEATS 40
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
                  if (features[5] < 0.089046f) {
                      if (features[10] < 1.137442f) {
                          if (features[7] < 0.145161f) {
                              if (features[5] < 0.059130f) {
                                  return 0;
                              } else {
                                  return 1;
                              }
                          } else {
                              if (features[0] < 0.075385f) {
                                  return 1;
                              } else {
                                  return 2;
                              }
                          }
                      } else {
                          if (features[5] < 0.044291f) {
                              if (features[6] < 134.478806f) {
                                  return 1;
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
                      if (features[6] < 107.015030f) {
                          if (features[1] < 0.057748f) {
                              if (features[1] < 0.041351f) {
                                  return 1;
                              } else {
                                  return 7;
                              }
                          } else {
                              return 6;
                          }
                      } else {
                          if (features[8] < 0.049057f) {
                              return 8;
                          } else {
                              if (features[0] < 0.096718f) {
                                  return 9;
                              } else {
                                  return 10;
                              }
                          }
                      }
                  }
              } else {
                  if (features[8] < 0.100713f) {
                      if (features[4] < 0.640625f) {
                          if (features[10] < 1.095830f) {
                              if (features[10] < 0.992519f) {
                                  return 11;
                              } else {
                                  return 12;
                              }
                          } else {
                              if (features[1] < 0.054484f) {
                                  return 13;
                              } else {
                                  return 14;
                              }
                          }
                      } else {
                          if (features[0] < 0.070514f) {
                              if (features[0] < 0.063430f) {
                                  return 15;
                              } else {
                                  return 7;
                              }
                          } else {
                              if (features[1] < 0.043384f) {
                                  return 16;
                              } else {
                                  return 17;
                              }
                          }
                      }
                  } else {
                      if (features[9] < -0.034792f) {
                          if (features[6] < 100.289742f) {
                              if (features[8] < 0.296148f) {
                                  return 18;
                              } else {
                                  return 19;
                              }
                          } else {
                              if (features[6] < 106.921906f) {
                                  return 20;
                              } else {
                                  return 21;
                              }
                          }
                      } else {
                          if (features[1] < 0.063325f) {
                              if (features[2] < 0.084701f) {
                                  return 23;
                              } else {
                                  return 24;
                              }
                          } else {
                              return 22;
                          }
                      }
                  }
              }
          } else {
              if (features[9] < -0.113787f) {
                  if (features[5] < 0.093436f) {
                      if (features[5] < 0.078417f) {
                          if (features[6] < 67.083389f) {
                              if (features[4] < 0.703125f) {
                                  return 11;
                              } else {
                                  return 15;
                              }
                          } else {
                              if (features[9] < -0.713777f) {
                                  return 25;
                              } else {
                                  return 26;
                              }
                          }
                      } else {
                          if (features[10] < 1.208679f) {
                              if (features[10] < 1.129729f) {
                                  return 27;
                              } else {
                                  return 28;
                              }
                          } else {
                              if (features[10] < 1.605188f) {
                                  return 29;
                              } else {
                                  return 30;
                              }
                          }
                      }
                  } else {
                      if (features[2] < 0.035367f) {
                          if (features[1] < 0.064196f) {
                              if (features[10] < 1.535059f) {
                                  return 31;
                              } else {
                                  return 32;
                              }
                          } else {
                              if (features[9] < -0.538650f) {
                                  return 33;
                              } else {
                                  return 34;
                              }
                          }
                      } else {
                          if (features[1] < 0.336937f) {
                              if (features[1] < 0.072036f) {
                                  return 35;
                              } else {
                                  return 36;
                              }
                          } else {
                              if (features[1] < 0.473001f) {
                                  return 37;
                              } else {
                                  return 38;
                              }
                          }
                      }
                  }
              } else {
                  if (features[5] < 0.160618f) {
                      if (features[8] < 0.158055f) {
                          if (features[6] < 76.920197f) {
                              if (features[9] < -0.006941f) {
                                  return 40;
                              } else {
                                  return 1;
                              }
                          } else {
                              return 39;
                          }
                      } else {
                          if (features[9] < -0.022015f) {
                              if (features[3] < 0.516667f) {
                                  return 41;
                              } else {
                                  return 42;
                              }
                          } else {
                              if (features[6] < 72.634865f) {
                                  return 43;
                              } else {
                                  return 44;
                              }
                          }
                      }
                  } else {
                      if (features[10] < 0.862224f) {
                          if (features[3] < 0.416667f) {
                              return 45;
                          } else {
                              return 46;
                          }
                      } else {
                          if (features[5] < 0.174079f) {
                              if (features[1] < 0.093934f) {
                                  return 47;
                              } else {
                                  return 48;
                              }
                          } else {
                              if (features[0] < 0.383072f) {
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
                  if (features[0] < 0.161789f) {
                      if (features[3] < 0.383333f) {
                          if (features[10] < 0.938641f) {
                              if (features[6] < 101.574715f) {
                                  return 0;
                              } else {
                                  return 41;
                              }
                          } else {
                              if (features[7] < 0.435484f) {
                                  return 51;
                              } else {
                                  return 16;
                              }
                          }
                      } else {
                          if (features[2] < 0.061180f) {
                              if (features[6] < 97.234451f) {
                                  return 32;
                              } else {
                                  return 52;
                              }
                          } else {
                              if (features[9] < -0.113109f) {
                                  return 53;
                              } else {
                                  return 54;
                              }
                          }
                      }
                  } else {
                      if (features[6] < 81.607178f) {
                          if (features[2] < 0.055147f) {
                              if (features[8] < 0.190661f) {
                                  return 23;
                              } else {
                                  return 55;
                              }
                          } else {
                              if (features[0] < 0.210584f) {
                                  return 56;
                              } else {
                                  return 57;
                              }
                          }
                      } else {
                          if (features[6] < 92.547546f) {
                              if (features[9] < -0.419981f) {
                                  return 58;
                              } else {
                                  return 59;
                              }
                          } else {
                              if (features[10] < 1.386098f) {
                                  return 60;
                              } else {
                                  return 61;
                              }
                          }
                      }
                  }
              } else {
                  if (features[9] < -0.747426f) {
                      if (features[5] < 0.288301f) {
                          if (features[10] < 1.776917f) {
                              if (features[6] < 76.145622f) {
                                  return 62;
                              } else {
                                  return 48;
                              }
                          } else {
                              if (features[1] < 0.400980f) {
                                  return 16;
                              } else {
                                  return 28;
                              }
                          }
                      } else {
                          if (features[10] < 1.709223f) {
                              if (features[10] < 1.622534f) {
                                  return 63;
                              } else {
                                  return 64;
                              }
                          } else {
                              if (features[2] < 0.407464f) {
                                  return 65;
                              } else {
                                  return 11;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.061043f) {
                          if (features[0] < 0.102356f) {
                              if (features[1] < 0.045381f) {
                                  return 15;
                              } else {
                                  return 66;
                              }
                          } else {
                              if (features[6] < 101.975388f) {
                                  return 67;
                              } else {
                                  return 68;
                              }
                          }
                      } else {
                          if (features[6] < 70.267334f) {
                              if (features[3] < 0.483333f) {
                                  return 69;
                              } else {
                                  return 70;
                              }
                          } else {
                              if (features[10] < 1.673781f) {
                                  return 71;
                              } else {
                                  return 72;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[2] < 0.056570f) {
                  if (features[0] < 0.078195f) {
                      if (features[1] < 0.014467f) {
                          if (features[5] < 0.006701f) {
                              if (features[10] < 1.405712f) {
                                  return 15;
                              } else {
                                  return 73;
                              }
                          } else {
                              if (features[1] < 0.002066f) {
                                  return 32;
                              } else {
                                  return 0;
                              }
                          }
                      } else {
                          if (features[0] < 0.063021f) {
                              if (features[10] < 1.272165f) {
                                  return 0;
                              } else {
                                  return 32;
                              }
                          } else {
                              if (features[1] < 0.015656f) {
                                  return 74;
                              } else {
                                  return 25;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.044085f) {
                          if (features[2] < 0.028531f) {
                              if (features[1] < 0.028933f) {
                                  return 15;
                              } else {
                                  return 75;
                              }
                          } else {
                              if (features[4] < 0.828125f) {
                                  return 55;
                              } else {
                                  return 43;
                              }
                          }
                      } else {
                          if (features[7] < 0.370968f) {
                              if (features[6] < 97.717712f) {
                                  return 40;
                              } else {
                                  return 10;
                              }
                          } else {
                              if (features[10] < 1.581813f) {
                                  return 63;
                              } else {
                                  return 76;
                              }
                          }
                      }
                  }
              } else {
                  if (features[6] < 107.530090f) {
                      if (features[3] < 0.550000f) {
                          if (features[7] < 0.500000f) {
                              if (features[0] < 0.088735f) {
                                  return 1;
                              } else {
                                  return 77;
                              }
                          } else {
                              if (features[5] < 0.093320f) {
                                  return 25;
                              } else {
                                  return 78;
                              }
                          }
                      } else {
                          if (features[0] < 0.098676f) {
                              if (features[5] < 0.064354f) {
                                  return 15;
                              } else {
                                  return 18;
                              }
                          } else {
                              if (features[1] < 0.217153f) {
                                  return 79;
                              } else {
                                  return 7;
                              }
                          }
                      }
                  } else {
                      if (features[10] < 1.675342f) {
                          if (features[5] < 0.055509f) {
                              return 81;
                          } else {
                              if (features[10] < 1.615803f) {
                                  return 82;
                              } else {
                                  return 83;
                              }
                          }
                      } else {
                          return 80;
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_2(const float *features, int32_t features_length) {
          if (features[1] < 0.071323f) {
              if (features[2] < 0.056570f) {
                  if (features[1] < 0.056570f) {
                      if (features[5] < 0.079269f) {
                          if (features[6] < 111.989075f) {
                              if (features[8] < 0.002439f) {
                                  return 84;
                              } else {
                                  return 0;
                              }
                          } else {
                              if (features[1] < 0.017778f) {
                                  return 85;
                              } else {
                                  return 86;
                              }
                          }
                      } else {
                          if (features[3] < 0.416667f) {
                              if (features[10] < 0.838813f) {
                                  return 0;
                              } else {
                                  return 40;
                              }
                          } else {
                              if (features[9] < -0.548857f) {
                                  return 87;
                              } else {
                                  return 55;
                              }
                          }
                      }
                  } else {
                      if (features[5] < 0.076671f) {
                          if (features[3] < 0.616667f) {
                              if (features[9] < -0.272906f) {
                                  return 89;
                              } else {
                                  return 43;
                              }
                          } else {
                              return 88;
                          }
                      } else {
                          if (features[6] < 104.003403f) {
                              if (features[10] < 1.093600f) {
                                  return 75;
                              } else {
                                  return 90;
                              }
                          } else {
                              if (features[9] < -0.500697f) {
                                  return 91;
                              } else {
                                  return 21;
                              }
                          }
                      }
                  }
              } else {
                  if (features[0] < 0.093048f) {
                      if (features[2] < 0.085046f) {
                          if (features[10] < 0.911986f) {
                              if (features[3] < 0.350000f) {
                                  return 0;
                              } else {
                                  return 15;
                              }
                          } else {
                              if (features[5] < 0.068380f) {
                                  return 23;
                              } else {
                                  return 24;
                              }
                          }
                      } else {
                          if (features[0] < 0.084731f) {
                              if (features[6] < 89.334892f) {
                                  return 87;
                              } else {
                                  return 92;
                              }
                          } else {
                              if (features[6] < 73.045036f) {
                                  return 23;
                              } else {
                                  return 78;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.057061f) {
                          if (features[6] < 106.597275f) {
                              if (features[1] < 0.041005f) {
                                  return 5;
                              } else {
                                  return 93;
                              }
                          } else {
                              if (features[8] < 0.085189f) {
                                  return 20;
                              } else {
                                  return 82;
                              }
                          }
                      } else {
                          if (features[6] < 100.105927f) {
                              if (features[9] < -0.184380f) {
                                  return 44;
                              } else {
                                  return 45;
                              }
                          } else {
                              if (features[0] < 0.242620f) {
                                  return 94;
                              } else {
                                  return 34;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[1] < 0.336937f) {
                  if (features[0] < 0.120002f) {
                      if (features[0] < 0.106534f) {
                          if (features[6] < 71.121414f) {
                              if (features[9] < -0.285254f) {
                                  return 54;
                              } else {
                                  return 15;
                              }
                          } else {
                              if (features[6] < 112.863380f) {
                                  return 95;
                              } else {
                                  return 14;
                              }
                          }
                      } else {
                          if (features[7] < 0.629032f) {
                              if (features[6] < 72.570496f) {
                                  return 78;
                              } else {
                                  return 96;
                              }
                          } else {
                              if (features[8] < 0.119533f) {
                                  return 95;
                              } else {
                                  return 45;
                              }
                          }
                      }
                  } else {
                      if (features[9] < -0.773373f) {
                          if (features[6] < 115.407379f) {
                              if (features[10] < 1.741063f) {
                                  return 98;
                              } else {
                                  return 73;
                              }
                          } else {
                              return 97;
                          }
                      } else {
                          if (features[8] < 0.086320f) {
                              if (features[0] < 0.241632f) {
                                  return 99;
                              } else {
                                  return 5;
                              }
                          } else {
                              if (features[4] < 0.453125f) {
                                  return 22;
                              } else {
                                  return 100;
                              }
                          }
                      }
                  }
              } else {
                  if (features[4] < 0.328125f) {
                      if (features[10] < 1.658570f) {
                          if (features[1] < 0.416214f) {
                              if (features[10] < 1.527226f) {
                                  return 101;
                              } else {
                                  return 102;
                              }
                          } else {
                              if (features[6] < 88.101814f) {
                                  return 63;
                              } else {
                                  return 103;
                              }
                          }
                      } else {
                          if (features[8] < 0.518858f) {
                              if (features[5] < 0.308301f) {
                                  return 104;
                              } else {
                                  return 105;
                              }
                          } else {
                              if (features[7] < 0.887097f) {
                                  return 106;
                              } else {
                                  return 40;
                              }
                          }
                      }
                  } else {
                      if (features[4] < 0.390625f) {
                          if (features[8] < 0.328981f) {
                              return 78;
                          } else {
                              if (features[5] < 0.320094f) {
                                  return 107;
                              } else {
                                  return 108;
                              }
                          }
                      } else {
                          if (features[1] < 0.404744f) {
                              if (features[5] < 0.295618f) {
                                  return 84;
                              } else {
                                  return 109;
                              }
                          } else {
                              if (features[5] < 0.246108f) {
                                  return 110;
                              } else {
                                  return 84;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_3(const float *features, int32_t features_length) {
          if (features[4] < 0.484375f) {
              if (features[0] < 0.122787f) {
                  if (features[0] < 0.097563f) {
                      if (features[0] < 0.084250f) {
                          if (features[10] < 0.881038f) {
                              if (features[6] < 101.869431f) {
                                  return 0;
                              } else {
                                  return 25;
                              }
                          } else {
                              if (features[0] < 0.075228f) {
                                  return 11;
                              } else {
                                  return 111;
                              }
                          }
                      } else {
                          if (features[9] < 0.125751f) {
                              if (features[8] < 0.189764f) {
                                  return 112;
                              } else {
                                  return 32;
                              }
                          } else {
                              if (features[7] < 0.403226f) {
                                  return 23;
                              } else {
                                  return 0;
                              }
                          }
                      }
                  } else {
                      if (features[7] < 0.370968f) {
                          if (features[1] < 0.047952f) {
                              if (features[6] < 84.063622f) {
                                  return 1;
                              } else {
                                  return 113;
                              }
                          } else {
                              if (features[10] < 1.010921f) {
                                  return 114;
                              } else {
                                  return 21;
                              }
                          }
                      } else {
                          if (features[0] < 0.112645f) {
                              if (features[7] < 0.693548f) {
                                  return 115;
                              } else {
                                  return 43;
                              }
                          } else {
                              if (features[3] < 0.550000f) {
                                  return 67;
                              } else {
                                  return 116;
                              }
                          }
                      }
                  }
              } else {
                  if (features[10] < 1.697653f) {
                      if (features[3] < 0.416667f) {
                          if (features[1] < 0.061022f) {
                              if (features[10] < 1.338845f) {
                                  return 112;
                              } else {
                                  return 11;
                              }
                          } else {
                              if (features[2] < 0.152229f) {
                                  return 117;
                              } else {
                                  return 103;
                              }
                          }
                      } else {
                          if (features[4] < 0.078125f) {
                              if (features[1] < 0.415657f) {
                                  return 118;
                              } else {
                                  return 78;
                              }
                          } else {
                              if (features[0] < 0.396983f) {
                                  return 71;
                              } else {
                                  return 119;
                              }
                          }
                      }
                  } else {
                      if (features[0] < 0.507654f) {
                          if (features[10] < 1.760765f) {
                              if (features[3] < 0.650000f) {
                                  return 88;
                              } else {
                                  return 120;
                              }
                          } else {
                              if (features[4] < 0.328125f) {
                                  return 88;
                              } else {
                                  return 18;
                              }
                          }
                      } else {
                          if (features[0] < 0.568264f) {
                              if (features[1] < 0.438996f) {
                                  return 121;
                              } else {
                                  return 66;
                              }
                          } else {
                              if (features[2] < 0.415182f) {
                                  return 111;
                              } else {
                                  return 11;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[7] < 0.500000f) {
                  if (features[8] < 0.100713f) {
                      if (features[1] < 0.057513f) {
                          if (features[0] < 0.063172f) {
                              if (features[6] < 135.741516f) {
                                  return 0;
                              } else {
                                  return 122;
                              }
                          } else {
                              if (features[9] < -0.529114f) {
                                  return 87;
                              } else {
                                  return 24;
                              }
                          }
                      } else {
                          if (features[5] < 0.151063f) {
                              if (features[1] < 0.070692f) {
                                  return 48;
                              } else {
                                  return 36;
                              }
                          } else {
                              if (features[8] < 0.078336f) {
                                  return 66;
                              } else {
                                  return 123;
                              }
                          }
                      }
                  } else {
                      if (features[10] < 1.036107f) {
                          if (features[6] < 113.071091f) {
                              if (features[2] < 0.106974f) {
                                  return 1;
                              } else {
                                  return 28;
                              }
                          } else {
                              return 99;
                          }
                      } else {
                          if (features[6] < 102.549591f) {
                              if (features[2] < 0.037897f) {
                                  return 25;
                              } else {
                                  return 107;
                              }
                          } else {
                              if (features[9] < -0.636683f) {
                                  return 124;
                              } else {
                                  return 94;
                              }
                          }
                      }
                  }
              } else {
                  if (features[5] < 0.084338f) {
                      if (features[5] < 0.073943f) {
                          if (features[0] < 0.096058f) {
                              if (features[0] < 0.088173f) {
                                  return 1;
                              } else {
                                  return 66;
                              }
                          } else {
                              if (features[0] < 0.111610f) {
                                  return 125;
                              } else {
                                  return 24;
                              }
                          }
                      } else {
                          if (features[10] < 1.295263f) {
                              if (features[10] < 1.153702f) {
                                  return 15;
                              } else {
                                  return 75;
                              }
                          } else {
                              if (features[6] < 62.123363f) {
                                  return 87;
                              } else {
                                  return 126;
                              }
                          }
                      }
                  } else {
                      if (features[5] < 0.174229f) {
                          if (features[9] < -0.144446f) {
                              if (features[10] < 1.650545f) {
                                  return 127;
                              } else {
                                  return 67;
                              }
                          } else {
                              if (features[0] < 0.146501f) {
                                  return 66;
                              } else {
                                  return 26;
                              }
                          }
                      } else {
                          if (features[0] < 0.292256f) {
                              if (features[8] < 0.094899f) {
                                  return 128;
                              } else {
                                  return 129;
                              }
                          } else {
                              if (features[8] < 0.095787f) {
                                  return 11;
                              } else {
                                  return 107;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_4(const float *features, int32_t features_length) {
          if (features[1] < 0.071344f) {
              if (features[6] < 112.759811f) {
                  if (features[2] < 0.056669f) {
                      if (features[4] < 0.734375f) {
                          if (features[3] < 0.516667f) {
                              if (features[1] < 0.056709f) {
                                  return 1;
                              } else {
                                  return 130;
                              }
                          } else {
                              if (features[6] < 105.228004f) {
                                  return 18;
                              } else {
                                  return 131;
                              }
                          }
                      } else {
                          if (features[0] < 0.059851f) {
                              if (features[8] < 0.002439f) {
                                  return 73;
                              } else {
                                  return 0;
                              }
                          } else {
                              if (features[1] < 0.028120f) {
                                  return 1;
                              } else {
                                  return 84;
                              }
                          }
                      }
                  } else {
                      if (features[9] < -0.146988f) {
                          if (features[1] < 0.056037f) {
                              if (features[10] < 1.533604f) {
                                  return 132;
                              } else {
                                  return 32;
                              }
                          } else {
                              if (features[0] < 0.096059f) {
                                  return 73;
                              } else {
                                  return 133;
                              }
                          }
                      } else {
                          if (features[0] < 0.137420f) {
                              if (features[5] < 0.093558f) {
                                  return 1;
                              } else {
                                  return 11;
                              }
                          } else {
                              if (features[10] < 0.897350f) {
                                  return 98;
                              } else {
                                  return 109;
                              }
                          }
                      }
                  }
              } else {
                  if (features[5] < 0.045140f) {
                      if (features[10] < 1.132070f) {
                          if (features[6] < 130.967239f) {
                              if (features[10] < 0.768080f) {
                                  return 1;
                              } else {
                                  return 11;
                              }
                          } else {
                              return 35;
                          }
                      } else {
                          if (features[1] < 0.017468f) {
                              if (features[0] < 0.036475f) {
                                  return 16;
                              } else {
                                  return 134;
                              }
                          } else {
                              if (features[3] < 0.450000f) {
                                  return 131;
                              } else {
                                  return 28;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.018100f) {
                          if (features[4] < 0.703125f) {
                              return 74;
                          } else {
                              if (features[6] < 119.012138f) {
                                  return 3;
                              } else {
                                  return 135;
                              }
                          }
                      } else {
                          if (features[0] < 0.069437f) {
                              return 136;
                          } else {
                              if (features[10] < 1.585610f) {
                                  return 94;
                              } else {
                                  return 137;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[1] < 0.337038f) {
                  if (features[10] < 1.697943f) {
                      if (features[0] < 0.119792f) {
                          if (features[0] < 0.103873f) {
                              if (features[6] < 79.379883f) {
                                  return 138;
                              } else {
                                  return 139;
                              }
                          } else {
                              if (features[6] < 65.474892f) {
                                  return 16;
                              } else {
                                  return 118;
                              }
                          }
                      } else {
                          if (features[9] < -0.032255f) {
                              if (features[4] < 0.515625f) {
                                  return 71;
                              } else {
                                  return 131;
                              }
                          } else {
                              if (features[6] < 70.177048f) {
                                  return 58;
                              } else {
                                  return 22;
                              }
                          }
                      }
                  } else {
                      if (features[4] < 0.359375f) {
                          if (features[9] < -0.802103f) {
                              if (features[3] < 0.850000f) {
                                  return 107;
                              } else {
                                  return 138;
                              }
                          } else {
                              if (features[7] < 0.951613f) {
                                  return 140;
                              } else {
                                  return 6;
                              }
                          }
                      } else {
                          if (features[0] < 0.303264f) {
                              if (features[10] < 1.752633f) {
                                  return 141;
                              } else {
                                  return 5;
                              }
                          } else {
                              if (features[4] < 0.421875f) {
                                  return 2;
                              } else {
                                  return 87;
                              }
                          }
                      }
                  }
              } else {
                  if (features[1] < 0.466212f) {
                      if (features[10] < 1.672183f) {
                          if (features[4] < 0.359375f) {
                              if (features[8] < 0.462081f) {
                                  return 142;
                              } else {
                                  return 97;
                              }
                          } else {
                              if (features[0] < 0.473253f) {
                                  return 115;
                              } else {
                                  return 143;
                              }
                          }
                      } else {
                          if (features[7] < 0.822581f) {
                              if (features[4] < 0.234375f) {
                                  return 8;
                              } else {
                                  return 25;
                              }
                          } else {
                              if (features[10] < 1.765181f) {
                                  return 144;
                              } else {
                                  return 107;
                              }
                          }
                      }
                  } else {
                      if (features[9] < -0.657862f) {
                          if (features[6] < 85.141174f) {
                              if (features[9] < -0.748791f) {
                                  return 43;
                              } else {
                                  return 58;
                              }
                          } else {
                              if (features[5] < 0.270856f) {
                                  return 122;
                              } else {
                                  return 128;
                              }
                          }
                      } else {
                          if (features[0] < 0.544472f) {
                              if (features[10] < 1.662475f) {
                                  return 145;
                              } else {
                                  return 88;
                              }
                          } else {
                              if (features[10] < 1.622145f) {
                                  return 146;
                              } else {
                                  return 132;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_5(const float *features, int32_t features_length) {
          if (features[1] < 0.065011f) {
              if (features[5] < 0.080144f) {
                  if (features[10] < 1.252028f) {
                      if (features[0] < 0.074371f) {
                          if (features[1] < 0.014467f) {
                              if (features[1] < 0.002066f) {
                                  return 15;
                              } else {
                                  return 0;
                              }
                          } else {
                              if (features[0] < 0.065973f) {
                                  return 0;
                              } else {
                                  return 11;
                              }
                          }
                      } else {
                          if (features[0] < 0.083167f) {
                              if (features[5] < 0.064448f) {
                                  return 15;
                              } else {
                                  return 55;
                              }
                          } else {
                              if (features[7] < 0.338710f) {
                                  return 147;
                              } else {
                                  return 16;
                              }
                          }
                      }
                  } else {
                      if (features[6] < 111.128204f) {
                          if (features[5] < 0.061006f) {
                              if (features[5] < 0.006644f) {
                                  return 84;
                              } else {
                                  return 1;
                              }
                          } else {
                              if (features[6] < 98.264755f) {
                                  return 11;
                              } else {
                                  return 35;
                              }
                          }
                      } else {
                          if (features[4] < 0.890625f) {
                              if (features[10] < 1.535847f) {
                                  return 139;
                              } else {
                                  return 53;
                              }
                          } else {
                              if (features[0] < 0.043791f) {
                                  return 115;
                              } else {
                                  return 57;
                              }
                          }
                      }
                  }
              } else {
                  if (features[6] < 106.968452f) {
                      if (features[0] < 0.094455f) {
                          if (features[0] < 0.082548f) {
                              if (features[10] < 0.918251f) {
                                  return 0;
                              } else {
                                  return 1;
                              }
                          } else {
                              if (features[5] < 0.105661f) {
                                  return 43;
                              } else {
                                  return 1;
                              }
                          }
                      } else {
                          if (features[1] < 0.048293f) {
                              if (features[8] < 0.321348f) {
                                  return 87;
                              } else {
                                  return 2;
                              }
                          } else {
                              if (features[3] < 0.450000f) {
                                  return 148;
                              } else {
                                  return 41;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.029091f) {
                          if (features[1] < 0.015095f) {
                              return 106;
                          } else {
                              return 79;
                          }
                      } else {
                          if (features[6] < 112.759811f) {
                              if (features[9] < -0.481233f) {
                                  return 149;
                              } else {
                                  return 150;
                              }
                          } else {
                              if (features[10] < 1.527513f) {
                                  return 94;
                              } else {
                                  return 119;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[4] < 0.484375f) {
                  if (features[2] < 0.352237f) {
                      if (features[9] < -0.759131f) {
                          if (features[6] < 76.192841f) {
                              if (features[0] < 0.283938f) {
                                  return 7;
                              } else {
                                  return 80;
                              }
                          } else {
                              if (features[2] < 0.046065f) {
                                  return 16;
                              } else {
                                  return 63;
                              }
                          }
                      } else {
                          if (features[1] < 0.085037f) {
                              if (features[3] < 0.450000f) {
                                  return 151;
                              } else {
                                  return 152;
                              }
                          } else {
                              if (features[9] < -0.042274f) {
                                  return 22;
                              } else {
                                  return 153;
                              }
                          }
                      }
                  } else {
                      if (features[10] < 1.656476f) {
                          if (features[7] < 0.887097f) {
                              if (features[1] < 0.350396f) {
                                  return 154;
                              } else {
                                  return 155;
                              }
                          } else {
                              if (features[6] < 56.659367f) {
                                  return 60;
                              } else {
                                  return 156;
                              }
                          }
                      } else {
                          if (features[10] < 1.731137f) {
                              if (features[1] < 0.350440f) {
                                  return 131;
                              } else {
                                  return 89;
                              }
                          } else {
                              if (features[5] < 0.257193f) {
                                  return 28;
                              } else {
                                  return 138;
                              }
                          }
                      }
                  }
              } else {
                  if (features[5] < 0.172184f) {
                      if (features[5] < 0.083093f) {
                          if (features[0] < 0.098243f) {
                              if (features[3] < 0.583333f) {
                                  return 25;
                              } else {
                                  return 148;
                              }
                          } else {
                              if (features[7] < 0.500000f) {
                                  return 139;
                              } else {
                                  return 157;
                              }
                          }
                      } else {
                          if (features[0] < 0.256650f) {
                              if (features[9] < -0.130751f) {
                                  return 158;
                              } else {
                                  return 89;
                              }
                          } else {
                              if (features[10] < 1.640222f) {
                                  return 159;
                              } else {
                                  return 7;
                              }
                          }
                      }
                  } else {
                      if (features[0] < 0.289582f) {
                          if (features[8] < 0.088970f) {
                              return 98;
                          } else {
                              if (features[0] < 0.276113f) {
                                  return 160;
                              } else {
                                  return 48;
                              }
                          }
                      } else {
                          if (features[0] < 0.319290f) {
                              if (features[9] < -0.503228f) {
                                  return 106;
                              } else {
                                  return 161;
                              }
                          } else {
                              if (features[7] < 0.500000f) {
                                  return 156;
                              } else {
                                  return 54;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_6(const float *features, int32_t features_length) {
          if (features[0] < 0.137340f) {
              if (features[1] < 0.057665f) {
                  if (features[6] < 111.836182f) {
                      if (features[0] < 0.089221f) {
                          if (features[0] < 0.077399f) {
                              if (features[6] < 109.445564f) {
                                  return 0;
                              } else {
                                  return 25;
                              }
                          } else {
                              if (features[9] < -0.103125f) {
                                  return 43;
                              } else {
                                  return 1;
                              }
                          }
                      } else {
                          if (features[2] < 0.041987f) {
                              if (features[1] < 0.041595f) {
                                  return 15;
                              } else {
                                  return 67;
                              }
                          } else {
                              if (features[6] < 100.167213f) {
                                  return 85;
                              } else {
                                  return 100;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.018100f) {
                          if (features[0] < 0.057896f) {
                              if (features[10] < 1.143274f) {
                                  return 25;
                              } else {
                                  return 75;
                              }
                          } else {
                              return 105;
                          }
                      } else {
                          if (features[0] < 0.062399f) {
                              if (features[3] < 0.450000f) {
                                  return 162;
                              } else {
                                  return 28;
                              }
                          } else {
                              if (features[5] < 0.055445f) {
                                  return 142;
                              } else {
                                  return 82;
                              }
                          }
                      }
                  }
              } else {
                  if (features[5] < 0.078502f) {
                      if (features[6] < 109.665527f) {
                          if (features[6] < 66.900780f) {
                              if (features[0] < 0.106761f) {
                                  return 15;
                              } else {
                                  return 67;
                              }
                          } else {
                              if (features[0] < 0.086655f) {
                                  return 27;
                              } else {
                                  return 163;
                              }
                          }
                      } else {
                          if (features[8] < 0.081182f) {
                              return 160;
                          } else {
                              return 68;
                          }
                      }
                  } else {
                      if (features[6] < 67.083389f) {
                          if (features[9] < -0.290140f) {
                              if (features[0] < 0.110889f) {
                                  return 85;
                              } else {
                                  return 164;
                              }
                          } else {
                              if (features[6] < 60.346226f) {
                                  return 43;
                              } else {
                                  return 54;
                              }
                          }
                      } else {
                          if (features[0] < 0.100393f) {
                              if (features[7] < 0.338710f) {
                                  return 59;
                              } else {
                                  return 148;
                              }
                          } else {
                              if (features[9] < -0.016843f) {
                                  return 154;
                              } else {
                                  return 165;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[2] < 0.037677f) {
                  if (features[7] < 0.500000f) {
                      if (features[1] < 0.059215f) {
                          if (features[10] < 1.414819f) {
                              if (features[6] < 105.885414f) {
                                  return 40;
                              } else {
                                  return 160;
                              }
                          } else {
                              if (features[1] < 0.041595f) {
                                  return 1;
                              } else {
                                  return 166;
                              }
                          }
                      } else {
                          if (features[8] < 0.085768f) {
                              return 167;
                          } else {
                              if (features[0] < 0.245626f) {
                                  return 71;
                              } else {
                                  return 168;
                              }
                          }
                      }
                  } else {
                      if (features[2] < 0.027555f) {
                          if (features[10] < 1.524806f) {
                              if (features[8] < 0.111347f) {
                                  return 35;
                              } else {
                                  return 86;
                              }
                          } else {
                              if (features[9] < -0.687648f) {
                                  return 43;
                              } else {
                                  return 169;
                              }
                          }
                      } else {
                          if (features[1] < 0.073364f) {
                              if (features[0] < 0.233532f) {
                                  return 170;
                              } else {
                                  return 5;
                              }
                          } else {
                              if (features[9] < -0.653313f) {
                                  return 38;
                              } else {
                                  return 99;
                              }
                          }
                      }
                  }
              } else {
                  if (features[7] < 0.435484f) {
                      if (features[1] < 0.049130f) {
                          if (features[10] < 1.446288f) {
                              if (features[9] < -0.482134f) {
                                  return 169;
                              } else {
                                  return 89;
                              }
                          } else {
                              if (features[6] < 104.091499f) {
                                  return 15;
                              } else {
                                  return 51;
                              }
                          }
                      } else {
                          if (features[4] < 0.609375f) {
                              if (features[0] < 0.265821f) {
                                  return 82;
                              } else {
                                  return 171;
                              }
                          } else {
                              if (features[9] < -0.517060f) {
                                  return 172;
                              } else {
                                  return 160;
                              }
                          }
                      }
                  } else {
                      if (features[8] < 0.095407f) {
                          if (features[5] < 0.158490f) {
                              if (features[1] < 0.056037f) {
                                  return 88;
                              } else {
                                  return 131;
                              }
                          } else {
                              if (features[0] < 0.256129f) {
                                  return 173;
                              } else {
                                  return 84;
                              }
                          }
                      } else {
                          if (features[8] < 0.497260f) {
                              if (features[4] < 0.453125f) {
                                  return 36;
                              } else {
                                  return 168;
                              }
                          } else {
                              if (features[9] < -0.649238f) {
                                  return 13;
                              } else {
                                  return 149;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static inline int32_t cw_rhythm_model_tree_7(const float *features, int32_t features_length) {
          if (features[0] < 0.137372f) {
              if (features[1] < 0.058737f) {
                  if (features[0] < 0.078195f) {
                      if (features[8] < 0.020031f) {
                          if (features[7] < 0.048387f) {
                              if (features[1] < 0.017506f) {
                                  return 1;
                              } else {
                                  return 7;
                              }
                          } else {
                              if (features[2] < 0.014870f) {
                                  return 43;
                              } else {
                                  return 7;
                              }
                          }
                      } else {
                          if (features[0] < 0.063807f) {
                              if (features[9] < -0.290645f) {
                                  return 1;
                              } else {
                                  return 0;
                              }
                          } else {
                              if (features[4] < 0.703125f) {
                                  return 87;
                              } else {
                                  return 138;
                              }
                          }
                      }
                  } else {
                      if (features[1] < 0.028521f) {
                          if (features[6] < 110.231003f) {
                              if (features[6] < 102.678085f) {
                                  return 1;
                              } else {
                                  return 76;
                              }
                          } else {
                              return 174;
                          }
                      } else {
                          if (features[6] < 102.464043f) {
                              if (features[0] < 0.112599f) {
                                  return 25;
                              } else {
                                  return 111;
                              }
                          } else {
                              if (features[9] < -0.563489f) {
                                  return 175;
                              } else {
                                  return 10;
                              }
                          }
                      }
                  }
              } else {
                  if (features[6] < 67.414619f) {
                      if (features[9] < -0.312843f) {
                          if (features[0] < 0.107253f) {
                              if (features[1] < 0.061149f) {
                                  return 54;
                              } else {
                                  return 25;
                              }
                          } else {
                              if (features[0] < 0.127299f) {
                                  return 143;
                              } else {
                                  return 29;
                              }
                          }
                      } else {
                          if (features[3] < 0.616667f) {
                              if (features[0] < 0.119058f) {
                                  return 15;
                              } else {
                                  return 132;
                              }
                          } else {
                              return 176;
                          }
                      }
                  } else {
                      if (features[6] < 96.433228f) {
                          if (features[3] < 0.483333f) {
                              if (features[7] < 0.564516f) {
                                  return 148;
                              } else {
                                  return 177;
                              }
                          } else {
                              if (features[7] < 0.532258f) {
                                  return 153;
                              } else {
                                  return 178;
                              }
                          }
                      } else {
                          if (features[0] < 0.090034f) {
                              return 179;
                          } else {
                              if (features[4] < 0.640625f) {
                                  return 180;
                              } else {
                                  return 82;
                              }
                          }
                      }
                  }
              }
          } else {
              if (features[10] < 1.639019f) {
                  if (features[4] < 0.546875f) {
                      if (features[2] < 0.030496f) {
                          if (features[6] < 98.996986f) {
                              if (features[1] < 0.070264f) {
                                  return 5;
                              } else {
                                  return 17;
                              }
                          } else {
                              if (features[10] < 1.496879f) {
                                  return 181;
                              } else {
                                  return 182;
                              }
                          }
                      } else {
                          if (features[1] < 0.059855f) {
                              if (features[2] < 0.054995f) {
                                  return 183;
                              } else {
                                  return 184;
                              }
                          } else {
                              if (features[6] < 69.296494f) {
                                  return 59;
                              } else {
                                  return 71;
                              }
                          }
                      }
                  } else {
                      if (features[6] < 106.182770f) {
                          if (features[4] < 0.640625f) {
                              if (features[0] < 0.237156f) {
                                  return 37;
                              } else {
                                  return 56;
                              }
                          } else {
                              if (features[2] < 0.040630f) {
                                  return 23;
                              } else {
                                  return 28;
                              }
                          }
                      } else {
                          if (features[1] < 0.030189f) {
                              return 185;
                          } else {
                              if (features[7] < 0.467742f) {
                                  return 10;
                              } else {
                                  return 49;
                              }
                          }
                      }
                  }
              } else {
                  if (features[7] < 0.629032f) {
                      if (features[6] < 115.733467f) {
                          if (features[9] < -0.806262f) {
                              if (features[5] < 0.245083f) {
                                  return 0;
                              } else {
                                  return 11;
                              }
                          } else {
                              if (features[8] < 0.098944f) {
                                  return 1;
                              } else {
                                  return 186;
                              }
                          }
                      } else {
                          if (features[0] < 0.251867f) {
                              return 96;
                          } else {
                              return 178;
                          }
                      }
                  } else {
                      if (features[10] < 1.713293f) {
                          if (features[1] < 0.338913f) {
                              if (features[4] < 0.390625f) {
                                  return 187;
                              } else {
                                  return 188;
                              }
                          } else {
                              if (features[10] < 1.677433f) {
                                  return 189;
                              } else {
                                  return 89;
                              }
                          }
                      } else {
                          if (features[10] < 1.776754f) {
                              if (features[9] < -0.645897f) {
                                  return 190;
                              } else {
                                  return 30;
                              }
                          } else {
                              if (features[6] < 80.643150f) {
                                  return 25;
                              } else {
                                  return 112;
                              }
                          }
                      }
                  }
              }
          }
        }
        

static const uint8_t cw_rhythm_model_leaves[382] = { 255, 0, 254, 1, 212, 43, 113, 142, 157, 98, 244, 11, 122, 133, 240, 15, 108, 147, 87, 168, 5, 250, 249, 6, 181, 74, 205, 50, 14, 241, 253, 2, 239, 16, 104, 151, 237, 18, 149, 106, 42, 213, 2, 253, 9, 246, 248, 7, 229, 26, 246, 9, 154, 101, 247, 8, 199, 56, 98, 157, 224, 31, 216, 39, 252, 3, 185, 70, 61, 194, 174, 81, 12, 243, 105, 150, 194, 61, 99, 156, 245, 10, 175, 80, 84, 171, 250, 5, 132, 123, 223, 32, 111, 144, 160, 95, 82, 173, 22, 233, 133, 122, 129, 126, 62, 193, 97, 158, 226, 29, 234, 21, 214, 41, 131, 124, 232, 23, 28, 227, 7, 248, 49, 206, 179, 76, 139, 116, 200, 55, 203, 52, 238, 17, 215, 40, 6, 249, 141, 114, 29, 226, 8, 247, 120, 135, 241, 14, 190, 65, 230, 25, 236, 19, 235, 20, 145, 110, 102, 153, 196, 59, 100, 155, 4, 251, 43, 212, 243, 12, 233, 22, 91, 164, 251, 4, 208, 47, 189, 66, 152, 103, 17, 238, 183, 72, 209, 46, 3, 252, 136, 119, 11, 244, 78, 177, 159, 96, 44, 211, 48, 207, 34, 221, 70, 185, 47, 208, 165, 90, 65, 190, 213, 42, 207, 48, 144, 111, 202, 53, 142, 113, 221, 34, 219, 36, 130, 125, 59, 196, 222, 33, 119, 136, 96, 159, 39, 216, 46, 209, 110, 145, 138, 117, 107, 148, 103, 152, 31, 224, 186, 69, 85, 170, 45, 210, 193, 62, 57, 198, 217, 38, 72, 183, 227, 28, 125, 130, 195, 60, 148, 107, 55, 200, 74, 181, 242, 13, 16, 239, 60, 195, 182, 73, 41, 214, 147, 108, 163, 92, 109, 146, 126, 129, 172, 83, 228, 27, 69, 186, 20, 235, 140, 115, 56, 199, 123, 132, 15, 240, 79, 176, 67, 188, 162, 93, 30, 225, 112, 143, 23, 232, 93, 162, 88, 167, 115, 140, 114, 141, 188, 67, 225, 30, 192, 63, 75, 180, 218, 37, 151, 104, 24, 231, 80, 175, 128, 127, 53, 202, 32, 223, 184, 71, 198, 57, 37, 218, 73, 182, 0, 255, 10, 245, 86, 169, 211, 44, 177, 78, 76, 179, 231, 24, 25, 230, 137, 118, 150, 105, 153, 102 };

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
