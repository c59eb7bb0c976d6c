//===- CApiTest.cpp - trit.h's statuses and messages without a model -----===//

#include "trit/trit.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace {

TEST(CApi, OpenReportsIoAndFormatErrors) {
  trit_model *model = reinterpret_cast<trit_model *>(1);
  EXPECT_EQ(trit_model_open("/nonexistent/model.trit", &model), TRIT_ERROR_IO);
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(std::string(trit_last_error()),
            "/nonexistent/model.trit: No such file or directory");

  std::string path = ::testing::TempDir() + "/not-an-artifact.trit";
  std::ofstream(path) << std::string(100, 'x');
  EXPECT_EQ(trit_model_open(path.c_str(), &model), TRIT_ERROR_FORMAT);
  EXPECT_NE(std::string(trit_last_error()).find("not a Trit artifact"),
            std::string::npos);
  EXPECT_EQ(trit_model_open(nullptr, &model), TRIT_ERROR_ARGUMENT);
}

TEST(CApi, StatusStringsAndSamplerDefaults) {
  EXPECT_STREQ(trit_status_string(TRIT_OK), "ok");
  EXPECT_STREQ(trit_status_string(TRIT_ERROR_CPU), "built for another CPU");
  trit_sampler_params params = trit_sampler_default_params();
  EXPECT_EQ(params.temperature, 0.0f);
  trit_sampler *sampler;
  ASSERT_EQ(trit_sampler_create(&params, &sampler), TRIT_OK);
  float logits[4] = {0.5f, 3.0f, -1.0f, 2.0f};
  EXPECT_EQ(trit_sample(sampler, logits, 4, nullptr, 0), 1);
  trit_sampler_free(sampler);
}

} // namespace
