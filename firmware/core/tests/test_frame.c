#include "test_common.h"
#include "cw_frame.h"
#include "vectors.h"

static void test_frame_decode_should_give_the_fields_of_every_valid_vector(void **state)
{
    static int32_t samples[CW_FRAME_MAX_BYTES / 2];
    size_t i, k;
    (void)state;
    for (i = 0; i < CW_COUNT_OF(cw_vectors_valid); ++i) {
        const cw_vector_frame_t *v = &cw_vectors_valid[i];
        cw_frame_header_t h;
        printf("    vector %s\n", v->name);
        assert_int_equal(cw_frame_decode(v->bytes, v->len, &h, samples, CW_COUNT_OF(samples)), CW_OK);
        assert_int_equal(h.device_id, v->header.device_id);
        assert_int_equal(h.seq, v->header.seq);
        assert_true(h.t_us == v->header.t_us);
        assert_int_equal(h.fs_millihz, v->header.fs_millihz);
        assert_int_equal(h.scale_nv, v->header.scale_nv);
        assert_int_equal(h.n_samples, v->header.n_samples);
        assert_int_equal(h.sensor, v->header.sensor);
        assert_int_equal(h.flags, v->header.flags);
        assert_int_equal(h.encoding, v->header.encoding);
        for (k = 0; k < v->n_values; ++k) {
            assert_int_equal(samples[k], v->samples[k]);
        }
    }
}

static void test_frame_encode_should_reproduce_every_valid_vector_byte_for_byte(void **state)
{
    static uint8_t out[CW_FRAME_MAX_BYTES];
    size_t i;
    (void)state;
    for (i = 0; i < CW_COUNT_OF(cw_vectors_valid); ++i) {
        const cw_vector_frame_t *v = &cw_vectors_valid[i];
        size_t len = 0;
        printf("    vector %s\n", v->name);
        assert_int_equal(cw_frame_encode(&v->header, v->samples, out, sizeof out, &len), CW_OK);
        assert_int_equal(len, v->len);
        assert_memory_equal(out, v->bytes, len);
    }
}

static void test_frame_decode_should_give_the_vector_error_for_every_invalid_vector(void **state)
{
    static int32_t samples[CW_FRAME_MAX_BYTES / 2];
    size_t i;
    (void)state;
    for (i = 0; i < CW_COUNT_OF(cw_vectors_invalid); ++i) {
        const cw_vector_bad_t *v = &cw_vectors_invalid[i];
        cw_frame_header_t h;
        printf("    vector %s\n", v->name);
        assert_int_equal(cw_frame_decode(v->bytes, v->len, &h, samples, CW_COUNT_OF(samples)), v->error);
    }
}

static void test_frame_encode_should_refuse_int16_overflow_and_small_buffers(void **state)
{
    const cw_frame_header_t h = {7u, 0u, 0u, 250000u, 0u, 2u, CW_SENSOR_ECG, 0u, CW_ENCODING_INT16};
    const int32_t too_big[2] = {1, 40000};
    const int32_t fine[2] = {1, 2};
    uint8_t out[64];
    size_t len = 99;
    (void)state;
    assert_int_equal(cw_frame_encode(&h, too_big, out, sizeof out, &len), CW_ERR_FORMAT);
    assert_int_equal(len, 0);
    assert_int_equal(cw_frame_encode(&h, fine, out, CW_FRAME_HEADER_BYTES + 5u, &len), CW_ERR_CAPACITY);
    assert_int_equal(cw_frame_encode(&h, fine, out, sizeof out, &len), CW_OK);
    assert_int_equal(len, CW_FRAME_HEADER_BYTES + 4u + CW_FRAME_CRC_BYTES);
}

static void test_frame_decode_should_refuse_a_sample_buffer_too_small(void **state)
{
    const cw_vector_frame_t *v = &cw_vectors_valid[0];
    cw_frame_header_t h;
    int32_t samples[1];
    (void)state;
    assert_int_equal(cw_frame_decode(v->bytes, v->len, &h, samples, 1), CW_ERR_CAPACITY);
}

static void test_frame_length_should_cut_a_batch_into_frames(void **state)
{
    static uint8_t batch[2 * CW_FRAME_MAX_BYTES];
    const cw_vector_frame_t *a = &cw_vectors_valid[0];
    const cw_vector_frame_t *b = &cw_vectors_valid[3];
    size_t len = 0;
    (void)state;
    memcpy(batch, a->bytes, a->len);
    memcpy(batch + a->len, b->bytes, b->len);
    assert_int_equal(cw_frame_length(batch, a->len + b->len, &len), CW_OK);
    assert_int_equal(len, a->len);
    assert_int_equal(cw_frame_length(batch + len, b->len, &len), CW_OK);
    assert_int_equal(len, b->len);
}

static void test_envelope_should_match_the_shared_vectors(void **state)
{
    static uint8_t out[CW_FRAME_MAX_BYTES + 1u + CW_ENVELOPE_MAX_TOKEN];
    size_t i;
    (void)state;
    for (i = 0; i < CW_COUNT_OF(cw_vectors_envelope); ++i) {
        const cw_vector_envelope_t *v = &cw_vectors_envelope[i];
        const uint8_t *token, *payload;
        size_t token_len, payload_len, len;
        printf("    vector %s\n", v->name);
        assert_int_equal(cw_envelope_wrap(v->token, v->payload, v->payload_len, out, sizeof out, &len), CW_OK);
        assert_int_equal(len, v->len);
        assert_memory_equal(out, v->bytes, len);
        assert_int_equal(cw_envelope_unwrap(v->bytes, v->len, &token, &token_len, &payload, &payload_len), CW_OK);
        assert_int_equal(token_len, strlen(v->token));
        assert_memory_equal(token, v->token, token_len);
        assert_int_equal(payload_len, v->payload_len);
    }
    for (i = 0; i < CW_COUNT_OF(cw_vectors_envelope_invalid); ++i) {
        const cw_vector_bad_t *v = &cw_vectors_envelope_invalid[i];
        const uint8_t *token, *payload;
        size_t token_len, payload_len;
        printf("    vector %s\n", v->name);
        assert_int_equal(cw_envelope_unwrap(v->bytes, v->len, &token, &token_len, &payload, &payload_len),
                         v->error);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_decode_should_give_the_fields_of_every_valid_vector),
        cmocka_unit_test(test_frame_encode_should_reproduce_every_valid_vector_byte_for_byte),
        cmocka_unit_test(test_frame_decode_should_give_the_vector_error_for_every_invalid_vector),
        cmocka_unit_test(test_frame_encode_should_refuse_int16_overflow_and_small_buffers),
        cmocka_unit_test(test_frame_decode_should_refuse_a_sample_buffer_too_small),
        cmocka_unit_test(test_frame_length_should_cut_a_batch_into_frames),
        cmocka_unit_test(test_envelope_should_match_the_shared_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
